/**
 * Time values as the engine uses them: epoch milliseconds (UTC) inside, and the string forms
 * ElastAlert 2 produces outside (match timestamps, pretty times in alert texts, Python timedelta
 * text), so alert texts and writeback documents come out the same.
 */

/** Parses an ISO 8601 / RFC 3339 timestamp (space or T, optional fraction, Z or offset; naive = UTC). */
export function parseTimestamp(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== 'string') return undefined;
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      value.trim(),
    );
  if (!m) {
    const t = Date.parse(value);
    return Number.isNaN(t) ? undefined : t;
  }
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000 + 1e-6) : 0;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), ms);
  if (tz && tz !== 'Z' && tz !== 'z' && tz !== 'UTC') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
    t -= sign * offset * 60_000;
  }
  return Number.isNaN(t) ? undefined : t;
}

/**
 * A document's date as Elasticsearch reads a `date` field with the default format
 * (strict_date_optional_time||epoch_millis): a number, or a text of digits, is epoch milliseconds,
 * except four digits, which are a year (ES tries the ISO format first); other texts are ISO 8601
 * (read as parseTimestamp reads them). Epoch seconds need `timestamp_type: unix`, as a field mapped
 * with `epoch_second` does.
 */
export function parseDocumentTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.floor(value) : undefined;
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^\d{4}$/.test(text)) return Date.UTC(Number(text), 0, 1);
    if (/^-?\d+(\.\d+)?$/.test(text)) {
      const n = Math.floor(Number(text));
      return Number.isFinite(n) && Math.abs(n) <= 8.64e15 ? n : undefined;
    }
  }
  return parseTimestamp(value);
}

/** ElastAlert 2's dt_to_ts: ISO 8601 in UTC with "Z", no fraction for whole seconds, else milliseconds. */
export function toIso(ms: number): string {
  const s = new Date(ms).toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Calendar fields of an instant in a time zone (IANA name, or 'UTC'). */
export interface WallTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  weekday: number; // 0 = Sunday
  offsetMinutes: number; // local - UTC
  zoneName: string;
}

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatterCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      timeZoneName: 'short',
    });
    formatterCache.set(timeZone, f);
  }
  return f;
}

/** True when `zone` is a time zone name this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  try {
    zoneFormatter(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The process's local time zone (TZ, or the system's). A process whose clock is UTC (a container's
 * default) is told so by Date's own description of the zone: Intl.DateTimeFormat loads ICU's locale
 * data, about 8 MB of memory that nothing else in such a process needs (docs/deploy.md, Memory).
 * Any other zone, or a description in another language, is asked of Intl.
 */
export function localTimeZone(): string {
  if (new Date().toString().endsWith('(Coordinated Universal Time)')) return 'UTC';
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function wallTime(ms: number, timeZone = 'UTC'): WallTime {
  const date = new Date(ms);
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
      ms: date.getUTCMilliseconds(),
      weekday: date.getUTCDay(),
      offsetMinutes: 0,
      zoneName: 'UTC',
    };
  }
  const parts: Record<string, string> = {};
  for (const p of zoneFormatter(timeZone).formatToParts(date)) parts[p.type] = p.value;
  const fields = {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
  const asUtc = Date.UTC(
    fields.year,
    fields.month - 1,
    fields.day,
    fields.hour,
    fields.minute,
    fields.second,
  );
  const offsetMinutes = Math.round((asUtc - (ms - date.getUTCMilliseconds())) / 60_000);
  return {
    ...fields,
    ms: date.getUTCMilliseconds(),
    weekday: new Date(asUtc).getUTCDay(),
    offsetMinutes,
    zoneName: zoneAbbreviation(parts.timeZoneName ?? '', timeZone),
  };
}

/** Short zone names as Python prints them where Intl only knows "GMT+8". */
const ZONE_ABBREVIATIONS: Record<string, string> = {
  'Asia/Shanghai': 'CST',
  'Asia/Chongqing': 'CST',
  'Asia/Harbin': 'CST',
  'Asia/Taipei': 'CST',
  'Asia/Hong_Kong': 'HKT',
  'Asia/Tokyo': 'JST',
  'Asia/Seoul': 'KST',
  'Asia/Singapore': '+08',
  'Asia/Kolkata': 'IST',
  'Europe/Moscow': 'MSK',
};

function zoneAbbreviation(intlName: string, timeZone: string): string {
  if (!intlName.startsWith('GMT')) return intlName;
  return ZONE_ABBREVIATIONS[timeZone] ?? intlName;
}

const pad = (n: number, w = 2) => String(Math.trunc(n)).padStart(w, '0');

function dayOfYear(w: WallTime): number {
  return Math.floor((Date.UTC(w.year, w.month - 1, w.day) - Date.UTC(w.year, 0, 1)) / 86_400_000) + 1;
}

/** Week of the year (%U: weeks start Sunday; %W: weeks start Monday), as C strftime. */
function weekOfYear(w: WallTime, mondayFirst: boolean): number {
  const yday = dayOfYear(w) - 1;
  const wday = mondayFirst ? (w.weekday + 6) % 7 : w.weekday;
  return Math.floor((yday + 7 - wday) / 7);
}

function offsetText(minutes: number, colon = false): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${pad(a / 60)}${colon ? ':' : ''}${pad(a % 60)}`;
}

/** Python's strftime for the directives rule files use (index patterns, timestamp formats, pretty times). */
export function strftime(format: string, ms: number, timeZone = 'UTC'): string {
  const w = wallTime(ms, timeZone);
  return format.replace(/%([a-zA-Z%])/g, (whole, d: string) => {
    switch (d) {
      case 'Y':
        return String(w.year);
      case 'y':
        return pad(w.year % 100);
      case 'm':
        return pad(w.month);
      case 'd':
        return pad(w.day);
      case 'e':
        return String(w.day).padStart(2, ' ');
      case 'H':
        return pad(w.hour);
      case 'I':
        return pad(w.hour % 12 === 0 ? 12 : w.hour % 12);
      case 'p':
        return w.hour < 12 ? 'AM' : 'PM';
      case 'M':
        return pad(w.minute);
      case 'S':
        return pad(w.second);
      case 'f':
        return pad(w.ms * 1000, 6);
      case 'j':
        return pad(dayOfYear(w), 3);
      case 'a':
        return WEEKDAYS[w.weekday]!.slice(0, 3);
      case 'A':
        return WEEKDAYS[w.weekday]!;
      case 'w':
        return String(w.weekday);
      case 'u':
        return String(w.weekday === 0 ? 7 : w.weekday);
      case 'b':
      case 'h':
        return MONTHS[w.month - 1]!.slice(0, 3);
      case 'B':
        return MONTHS[w.month - 1]!;
      case 'U':
        return pad(weekOfYear(w, false));
      case 'W':
        return pad(weekOfYear(w, true));
      case 'z':
        return offsetText(w.offsetMinutes);
      case 'Z':
        return w.zoneName;
      case 'D':
        return `${pad(w.month)}/${pad(w.day)}/${pad(w.year % 100)}`;
      case 'F':
        return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
      case 'T':
        return `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
      case '%':
        return '%';
      default:
        return whole;
    }
  });
}

/** Python's strptime for `timestamp_type: custom`. Naive results are UTC. */
export function strptime(text: string, format: string): number | undefined {
  let pattern = '';
  const groups: string[] = [];
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '%' && i + 1 < format.length) {
      const d = format[++i]!;
      const group = (name: string, re: string) => {
        groups.push(name);
        pattern += `(${re})`;
      };
      switch (d) {
        case 'Y':
          group('Y', '\\d{4}');
          break;
        case 'y':
          group('y', '\\d{2}');
          break;
        case 'm':
          group('m', '\\d{1,2}');
          break;
        case 'd':
          group('d', '\\d{1,2}');
          break;
        case 'H':
          group('H', '\\d{1,2}');
          break;
        case 'I':
          group('I', '\\d{1,2}');
          break;
        case 'p':
          group('p', '[AaPp][Mm]');
          break;
        case 'M':
          group('M', '\\d{1,2}');
          break;
        case 'S':
          group('S', '\\d{1,2}');
          break;
        case 'f':
          group('f', '\\d{1,6}');
          break;
        case 'j':
          group('j', '\\d{1,3}');
          break;
        case 'z':
          group('z', 'Z|[+-]\\d{2}:?\\d{2}');
          break;
        case 'Z':
          group('Z', 'UTC|GMT|Z');
          break;
        case 'b':
        case 'h':
          group('b', '[A-Za-z]{3}');
          break;
        case 'B':
          group('B', '[A-Za-z]+');
          break;
        case 'a':
          group('a', '[A-Za-z]{3}');
          break;
        case 'A':
          group('A', '[A-Za-z]+');
          break;
        case '%':
          pattern += '%';
          break;
        default:
          pattern += `%${d}`;
      }
    } else {
      pattern += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const m = new RegExp(`^${pattern}$`).exec(text.trim());
  if (!m) return undefined;
  const v: Record<string, string> = {};
  groups.forEach((g, i) => (v[g] = m[i + 1]!));
  const monthName = v.b ?? v.B;
  let month = v.m ? Number(v.m) : 1;
  if (monthName) {
    const idx = MONTHS.findIndex((n) => n.toLowerCase().startsWith(monthName.toLowerCase().slice(0, 3)));
    if (idx < 0) return undefined;
    month = idx + 1;
  }
  const year = v.Y ? Number(v.Y) : v.y ? 2000 + Number(v.y) - (Number(v.y) >= 69 ? 100 : 0) : 1900;
  let hour = v.H ? Number(v.H) : v.I ? Number(v.I) % 12 : 0;
  if (v.p && /p/i.test(v.p)) hour += 12;
  const ms = v.f ? Math.floor(Number(v.f.padEnd(6, '0')) / 1000) : 0;
  let t = Date.UTC(
    year,
    month - 1,
    v.d ? Number(v.d) : 1,
    hour,
    v.M ? Number(v.M) : 0,
    v.S ? Number(v.S) : 0,
    ms,
  );
  if (v.j && !v.m && !v.d)
    t =
      Date.UTC(year, 0, 1, hour, v.M ? Number(v.M) : 0, v.S ? Number(v.S) : 0, ms) +
      (Number(v.j) - 1) * 86_400_000;
  if (v.z && v.z !== 'Z') {
    const sign = v.z.startsWith('-') ? -1 : 1;
    const digits = v.z.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return Number.isNaN(t) ? undefined : t;
}

/** ElastAlert 2's pretty_ts: "%Y-%m-%d %H:%M %Z" (or a custom format) in the display time zone. */
export function prettyTimestamp(ms: number, timeZone = 'UTC', format?: string | null): string {
  return strftime(format ?? '%Y-%m-%d %H:%M %Z', ms, timeZone);
}

/** Python's str(timedelta): "0:10:00", "1 day, 2:00:00", "2 days, 0:00:00.500000". */
export function timedeltaText(ms: number): string {
  const negative = ms < 0;
  let rest = Math.abs(ms);
  const days = Math.floor(rest / 86_400_000);
  rest -= days * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  const micros = (rest - s * 1000) * 1000;
  const clock = `${h}:${pad(m)}:${pad(s)}${micros ? `.${pad(micros, 6)}` : ''}`;
  const text = days ? `${days} day${days === 1 ? '' : 's'}, ${clock}` : clock;
  return negative ? `-${text}` : text;
}
