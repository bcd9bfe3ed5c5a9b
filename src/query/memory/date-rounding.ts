/**
 * Dates as Elasticsearch's aggregations handle them: time zones (`time_zone`: UTC, fixed offsets,
 * IANA names), the roundings of `date_histogram` (`fixed_interval`, `calendar_interval`), and
 * the date formats that read bounds and print `key_as_string`, `from_as_string`,
 * `value_as_string` (the named formats of dates.ts, a few more named ones, and simple Java
 * patterns such as `yyyy-MM-dd HH:mm`).
 */
import {
  DEFAULT_DATE_FORMATS,
  type DateFormatName,
  DateParseError,
  FORMAT_ALIASES,
  offsetWith,
  parseDateMath,
  wallClockFormat,
} from './dates.ts';
import { badRequest, unsupported } from './errors.ts';
import { escapeRegExp } from '../../util/escape-regexp.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface TimeZone {
  /** As given (`UTC`, `+01:00`, `Europe/Berlin`); undefined for UTC by default. */
  name: string | undefined;
  /** The offset when it never changes (UTC and fixed offsets), in ms. */
  fixed: number | undefined;
  /** Offset from UTC at a UTC instant, in ms. */
  offsetAt(utc: number): number;
  /** The UTC instant of a wall-clock time given as if it were UTC. */
  toUtc(local: number): number;
}

const FIXED_ZONE = /^([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/;

function fixedZone(name: string | undefined, offset: number): TimeZone {
  return { name, fixed: offset, offsetAt: () => offset, toUtc: (local) => local - offset };
}

export const UTC_ZONE: TimeZone = fixedZone(undefined, 0);

/** A `time_zone` value as Elasticsearch (Java's ZoneId) reads it; an unknown zone is a 400. */
export function parseTimeZone(value: unknown, where: string): TimeZone {
  if (value === undefined || value === null) return UTC_ZONE;
  if (typeof value !== 'string') throw badRequest(`[${where}] failed to parse field [time_zone]`);
  const name = value.trim();
  if (['Z', 'UTC', 'GMT', 'UT', 'Etc/UTC', 'Etc/GMT', 'Etc/Zulu', 'Zulu'].includes(name))
    return fixedZone(name, 0);
  const m = FIXED_ZONE.exec(name);
  if (m) {
    const h = Number(m[2]);
    const mm = Number(m[3] ?? 0);
    const ss = Number(m[4] ?? 0);
    if (h > 18 || mm > 59 || ss > 59) throw badRequest(`[${where}] failed to parse field [time_zone]`);
    return fixedZone(name, (m[1] === '-' ? -1 : 1) * ((h * 60 + mm) * 60 + ss) * 1000);
  }
  const fmt = wallClockFormat(name);
  if (!fmt) throw badRequest(`[${where}] failed to parse field [time_zone]`);
  // offsets change at most on whole minutes: remember them per minute
  const cache = new Map<number, number>();
  const offsetAt = (utc: number): number => {
    const minute = Math.floor(utc / MINUTE);
    let off = cache.get(minute);
    if (off === undefined) {
      off = offsetWith(fmt, minute * MINUTE);
      if (cache.size > 100_000) cache.clear();
      cache.set(minute, off);
    }
    return off;
  };
  const toUtc = (local: number): number => {
    let guess = local - offsetAt(local);
    guess = local - offsetAt(guess);
    return guess;
  };
  return { name, fixed: undefined, offsetAt, toUtc };
}

/** How bucket keys are computed: `round` gives the key of a value, `next` the key after a key. */
export interface Rounding {
  round(ms: number): number;
  next(key: number): number;
}

/** Elasticsearch's TimeValue units, as fixed_interval and offset take them. */
const TIME_UNITS: Record<string, number> = {
  nanos: 1e-6,
  micros: 1e-3,
  ms: 1,
  s: 1000,
  m: MINUTE,
  h: HOUR,
  d: DAY,
};

/** A TimeValue (`90s`, `1h`, `500ms`) in ms; undefined when it is not one. */
export function parseTimeValue(text: string): number | undefined {
  const m = /^(-?\d+)\s*(nanos|micros|ms|s|m|h|d)$/i.exec(text.trim());
  // units are case-insensitive, but for `M`: months, not minutes
  if (!m || m[2] === 'M') return undefined;
  return Number(m[1]) * TIME_UNITS[m[2]!.toLowerCase()]!;
}

/** A date_histogram `offset`: `+30s`, `-1h`, `1d` or a number of ms. */
export function parseOffset(value: unknown, where: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const text = value.trim();
    const sign = text[0] === '-' ? -1 : 1;
    const ms = parseTimeValue(text[0] === '-' || text[0] === '+' ? text.slice(1) : text);
    if (ms !== undefined && Number.isInteger(ms)) return sign * ms;
  }
  throw badRequest(`[${where}] failed to parse field [offset]`);
}

/** fixed_interval: multiples of a fixed length, counted from the epoch in the zone's local time. */
export function fixedRounding(interval: number, zone: TimeZone): Rounding {
  const floorTo = (local: number) => Math.floor(local / interval) * interval;
  if (zone.fixed !== undefined) {
    const off = zone.fixed;
    return { round: (ms) => floorTo(ms + off) - off, next: (key) => key + interval };
  }
  const round = (ms: number) => zone.toUtc(floorTo(ms + zone.offsetAt(ms)));
  return {
    round,
    next: (key) => {
      let n = round(key + interval);
      if (n <= key) n = round(key + 2 * interval);
      return n;
    },
  };
}

export type CalendarUnit = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';

/** The calendar_interval values Elasticsearch accepts: one unit, by name or as `1<unit>`. */
const CALENDAR_UNITS: Record<string, CalendarUnit> = {
  minute: 'minute',
  '1m': 'minute',
  hour: 'hour',
  '1h': 'hour',
  day: 'day',
  '1d': 'day',
  week: 'week',
  '1w': 'week',
  month: 'month',
  '1M': 'month',
  quarter: 'quarter',
  '1q': 'quarter',
  year: 'year',
  '1y': 'year',
};

export function calendarUnit(value: string): CalendarUnit | undefined {
  return Object.hasOwn(CALENDAR_UNITS, value) ? CALENDAR_UNITS[value] : undefined;
}

/** Start of the calendar unit containing a wall-clock time (given as if UTC). */
function unitStart(local: number, unit: CalendarUnit): number {
  switch (unit) {
    case 'minute':
      return Math.floor(local / MINUTE) * MINUTE;
    case 'hour':
      return Math.floor(local / HOUR) * HOUR;
    case 'day':
      return Math.floor(local / DAY) * DAY;
    case 'week': {
      const day = Math.floor(local / DAY) * DAY;
      return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY;
    }
    default: {
      const d = new Date(local);
      const month =
        unit === 'year' ? 0 : unit === 'quarter' ? d.getUTCMonth() - (d.getUTCMonth() % 3) : d.getUTCMonth();
      return dateUtc(d.getUTCFullYear(), month, 1);
    }
  }
}

/** Date.UTC without its two-digit-year quirk. */
function dateUtc(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  return d.getTime();
}

function addUnit(local: number, unit: CalendarUnit): number {
  switch (unit) {
    case 'minute':
      return local + MINUTE;
    case 'hour':
      return local + HOUR;
    case 'day':
      return local + DAY;
    case 'week':
      return local + 7 * DAY;
    default: {
      const d = new Date(local);
      const months = unit === 'year' ? 12 : unit === 'quarter' ? 3 : 1;
      return dateUtc(d.getUTCFullYear(), d.getUTCMonth() + months, 1);
    }
  }
}

/** calendar_interval: whole calendar units of the zone's local time (weeks start on Monday). */
export function calendarRounding(unit: CalendarUnit, zone: TimeZone): Rounding {
  const round = (ms: number) => zone.toUtc(unitStart(ms + zone.offsetAt(ms), unit));
  return {
    round,
    next: (key) => {
      const local = key + zone.offsetAt(key);
      let n = zone.toUtc(addUnit(unitStart(local, unit), unit));
      if (n <= key) n = round(key + 2 * (unit === 'minute' ? MINUTE : HOUR));
      return n;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Formats

/** A date format: prints values as Elasticsearch's DocValueFormat does and reads bounds. */
export interface DateFormatter {
  /** The format as written (or the field's). */
  readonly pattern: string;
  print(ms: number): string;
  /** A bound: epoch ms for numbers, the format (or date math) for strings. */
  parse(value: string | number, now: number, roundUp?: boolean): number;
}

/** Named formats beyond those dates.ts reads, as the Java patterns they print and read. */
const NAMED_PATTERNS: Record<string, string> = {
  date: 'yyyy-MM-dd',
  strict_date: 'yyyy-MM-dd',
  year_month_day: 'yyyy-MM-dd',
  strict_year_month_day: 'yyyy-MM-dd',
  year_month: 'yyyy-MM',
  strict_year_month: 'yyyy-MM',
  year: 'yyyy',
  strict_year: 'yyyy',
  basic_date: 'yyyyMMdd',
  date_hour: "yyyy-MM-dd'T'HH",
  strict_date_hour: "yyyy-MM-dd'T'HH",
  date_hour_minute: "yyyy-MM-dd'T'HH:mm",
  strict_date_hour_minute: "yyyy-MM-dd'T'HH:mm",
  date_hour_minute_second: "yyyy-MM-dd'T'HH:mm:ss",
  strict_date_hour_minute_second: "yyyy-MM-dd'T'HH:mm:ss",
  date_hour_minute_second_millis: "yyyy-MM-dd'T'HH:mm:ss.SSS",
  strict_date_hour_minute_second_millis: "yyyy-MM-dd'T'HH:mm:ss.SSS",
  date_hour_minute_second_fraction: "yyyy-MM-dd'T'HH:mm:ss.SSS",
  strict_date_hour_minute_second_fraction: "yyyy-MM-dd'T'HH:mm:ss.SSS",
  date_time_no_millis: "yyyy-MM-dd'T'HH:mm:ssXXX",
  strict_date_time_no_millis: "yyyy-MM-dd'T'HH:mm:ssXXX",
  hour_minute: 'HH:mm',
  strict_hour_minute: 'HH:mm',
  hour_minute_second: 'HH:mm:ss',
  strict_hour_minute_second: 'HH:mm:ss',
};

const pad = (n: number, width: number) => String(Math.abs(n)).padStart(width, '0');

/** A year as java.time prints it: four digits, a sign beyond 9999 or before year 0. */
function printYear(year: number): string {
  if (year > 9999) return `+${year}`;
  if (year < 0) return `-${pad(-year, 4)}`;
  return pad(year, 4);
}

function printOffset(offsetMs: number, style: 'XXX' | 'XX' | 'X' | 'Z'): string {
  if (offsetMs === 0 && style !== 'Z') return 'Z';
  const sign = offsetMs < 0 ? '-' : '+';
  const total = Math.abs(Math.round(offsetMs / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (style === 'X') return `${sign}${pad(h, 2)}${m ? pad(m, 2) : ''}`;
  if (style === 'XX' || style === 'Z') return `${sign}${pad(h, 2)}${pad(m, 2)}`;
  return `${sign}${pad(h, 2)}:${pad(m, 2)}${s ? `:${pad(s, 2)}` : ''}`;
}

interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
}

/**
 * The proleptic Gregorian fields of a wall-clock instant (ms as if UTC), for any instant a double
 * holds: Java prints dates far beyond JavaScript Date's range (a sum of dates, year 2162988).
 */
function civil(ms: number): Civil {
  const days = Math.floor(ms / DAY);
  let rest = ms - days * DAY;
  const hour = Math.floor(rest / HOUR);
  rest -= hour * HOUR;
  const minute = Math.floor(rest / MINUTE);
  rest -= minute * MINUTE;
  const second = Math.floor(rest / 1000);
  const millis = Math.floor(rest - second * 1000);
  // days since 0000-03-01 in 400-year eras (the civil-from-days algorithm)
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day, hour, minute, second, millis };
}

/** strict_date_optional_time's printer: `2024-05-14T01:02:03.456Z`, `...+02:00` in a zone. */
function printIso(ms: number, zone: TimeZone): string {
  const off = zone.offsetAt(ms);
  const c = civil(ms + off);
  return (
    `${printYear(c.year)}-${pad(c.month, 2)}-${pad(c.day, 2)}` +
    `T${pad(c.hour, 2)}:${pad(c.minute, 2)}:${pad(c.second, 2)}.${pad(c.millis, 3)}` +
    printOffset(off, 'XXX')
  );
}

type Token = { kind: 'literal'; text: string } | { kind: 'field'; letter: string; count: number };

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "'") {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= pattern.length) throw badRequest(`Invalid format: [${pattern}]: unterminated quote`);
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += pattern[j];
        j++;
      }
      tokens.push({ kind: 'literal', text: j === i + 1 ? "'" : text });
      i = j + 1;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      if (!'yuMdHmsSXxZ'.includes(c)) throw unsupported(`the date format letter [${c}] (in [${pattern}])`);
      tokens.push({ kind: 'field', letter: c, count: j - i });
      i = j;
    } else {
      tokens.push({ kind: 'literal', text: c });
      i++;
    }
  }
  return tokens;
}

/** A Java DateTimeFormatter pattern (letters y u M d H m s S X x Z and literals). */
function patternFormatter(pattern: string, zone: TimeZone): DateFormatter {
  const tokens = tokenize(pattern);
  const print = (ms: number): string => {
    const off = zone.offsetAt(ms);
    const c = civil(ms + off);
    return tokens
      .map((t) => {
        if (t.kind === 'literal') return t.text;
        switch (t.letter) {
          case 'y':
          case 'u':
            return t.count === 2 ? pad(((c.year % 100) + 100) % 100, 2) : printYear(c.year);
          case 'M':
            return pad(c.month, t.count);
          case 'd':
            return pad(c.day, t.count);
          case 'H':
            return pad(c.hour, t.count);
          case 'm':
            return pad(c.minute, t.count);
          case 's':
            return pad(c.second, t.count);
          case 'S':
            return pad(c.millis, 3).padEnd(t.count, '0').slice(0, t.count);
          case 'Z':
            return t.count >= 5 ? printOffset(off, 'XXX') : printOffset(off, 'Z');
          default: {
            const style = t.count >= 3 ? 'XXX' : t.count === 2 ? 'XX' : 'X';
            const s = printOffset(off, style);
            return t.letter === 'x' && s === 'Z' ? printOffset(0, 'Z') : s;
          }
        }
      })
      .join('');
  };
  const groups: string[] = [];
  const source = tokens
    .map((t) => {
      if (t.kind === 'literal') return escapeRegExp(t.text);
      groups.push(t.letter);
      switch (t.letter) {
        case 'y':
        case 'u':
          return t.count === 2 ? '(\\d{2})' : `([+-]?\\d{${Math.max(t.count, 4)},9})`;
        case 'S':
          return `(\\d{${t.count}})`;
        case 'X':
        case 'x':
        case 'Z':
          return '(Z|[+-]\\d{2}(?::?\\d{2})?)';
        default:
          return t.count === 1 ? '(\\d{1,2})' : `(\\d{${t.count}})`;
      }
    })
    .join('');
  const re = new RegExp(`^${source}$`);
  const parseText = (text: string): number => {
    const m = re.exec(text);
    if (!m) throw new DateParseError(`failed to parse date field [${text}] with format [${pattern}]`);
    let year = 1970;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let millis = 0;
    let offset: number | undefined;
    groups.forEach((letter, i) => {
      const v = m[i + 1]!;
      switch (letter) {
        case 'y':
        case 'u':
          year = v.length === 2 ? 2000 + Number(v) : Number(v);
          break;
        case 'M':
          month = Number(v);
          break;
        case 'd':
          day = Number(v);
          break;
        case 'H':
          hour = Number(v);
          break;
        case 'm':
          minute = Number(v);
          break;
        case 's':
          second = Number(v);
          break;
        case 'S':
          millis = Number(v.padEnd(3, '0').slice(0, 3));
          break;
        default:
          if (v === 'Z') offset = 0;
          else {
            const digits = v.slice(1).replace(':', '');
            offset =
              (v[0] === '-' ? -1 : 1) *
              (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0)) *
              MINUTE;
          }
      }
    });
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
      throw new DateParseError(`failed to parse date field [${text}] with format [${pattern}]`);
    const d = new Date(0);
    d.setUTCFullYear(year, month - 1, day);
    if (d.getUTCDate() !== day)
      throw new DateParseError(`failed to parse date field [${text}] with format [${pattern}]`);
    d.setUTCHours(hour, minute, second, millis);
    return offset !== undefined ? d.getTime() - offset : zone.toUtc(d.getTime());
  };
  return {
    pattern,
    print,
    parse(value, now, roundUp = false) {
      if (typeof value === 'number') return Math.floor(value);
      const text = value.trim();
      const ctx = { formats: ['epoch_millis'] as DateFormatName[], timeZone: zone.name, now };
      if (text.startsWith('now')) return parseDateMath(text, roundUp, ctx);
      const sep = text.indexOf('||');
      if (sep < 0) return parseText(text);
      return parseDateMath(`${parseText(text.slice(0, sep))}${text.slice(sep)}`, roundUp, ctx);
    },
  };
}

function namedFormatter(names: readonly DateFormatName[], pattern: string, zone: TimeZone): DateFormatter {
  const first = names[0]!;
  const print = (ms: number): string => {
    if (first === 'epoch_millis') return String(Math.trunc(ms));
    if (first === 'epoch_second') {
      return String(Math.trunc(ms) / 1000);
    }
    return printIso(Math.trunc(ms), zone);
  };
  return {
    pattern,
    print,
    parse: (value, now, roundUp = false) =>
      parseDateMath(value, roundUp, { formats: names, timeZone: zone.name, now }),
  };
}

/**
 * The formatter of an aggregation over a date field: its `format` when given (named formats,
 * `a||b` alternatives, Java patterns), else the field's (default `strict_date_optional_time||epoch_millis`).
 * Printing uses the first format, reading tries each.
 */
export function dateFormatter(
  format: unknown,
  fieldFormats: readonly DateFormatName[] | undefined,
  zone: TimeZone,
): DateFormatter {
  if (format === undefined || format === null) {
    const names = fieldFormats ?? DEFAULT_DATE_FORMATS;
    return namedFormatter(names, names.join('||'), zone);
  }
  if (typeof format !== 'string' || format.trim() === '')
    throw badRequest('[format] must be a non-empty string');
  const parts = format.split('||').map((p) => p.trim());
  if (parts.every((p) => Object.hasOwn(FORMAT_ALIASES, p)))
    return namedFormatter(
      parts.map((p) => FORMAT_ALIASES[p]!),
      format,
      zone,
    );
  const formatters = parts.map((p) =>
    Object.hasOwn(FORMAT_ALIASES, p)
      ? namedFormatter([FORMAT_ALIASES[p]!], p, zone)
      : patternFormatter(Object.hasOwn(NAMED_PATTERNS, p) ? NAMED_PATTERNS[p]! : p, zone),
  );
  return {
    pattern: format,
    print: (ms) => formatters[0]!.print(ms),
    parse(value, now, roundUp = false) {
      let error: unknown;
      for (const f of formatters) {
        try {
          return f.parse(value, now, roundUp);
        } catch (err) {
          if (!(err instanceof DateParseError)) throw err;
          error = err;
        }
      }
      throw error;
    },
  };
}

/** Reads a bound with a formatter; an unreadable date is a 400, as in Elasticsearch. */
export function parseBound(f: DateFormatter, value: unknown, now: number, what: string): number {
  if (typeof value !== 'number' && typeof value !== 'string')
    throw badRequest(`${what}: expected a date or a number, got ${JSON.stringify(value)}`);
  try {
    return f.parse(value, now);
  } catch (err) {
    if (err instanceof DateParseError)
      throw badRequest(
        `failed to parse date field [${String(value)}] with format [${f.pattern}]: ${err.message}`,
      );
    throw err;
  }
}
