/**
 * Dates as Elasticsearch's `date` fields read them: the formats `strict_date_optional_time`
 * (ISO 8601: `2024-05-14`, `2024-05-14T01`, `2024-05-14T01:02:03.456+02:00`), `epoch_millis` and
 * `epoch_second`, date math (`now-1h/d`, `2024-05-14||+1d`), and Elasticsearch's rounding of
 * partial dates: an upper bound (`lte`, `gt`, an inclusive `]`) fills what is missing with the
 * end of the day (23:59:59.999) but, as Elasticsearch does, the month and day with 1.
 */
import { EsalertError } from '../../errors/esalert-error.ts';

export type DateFormatName = 'strict_date_optional_time' | 'epoch_millis' | 'epoch_second';

/** The format of dynamically mapped dates and of `date` fields without a `format`. */
export const DEFAULT_DATE_FORMATS: readonly DateFormatName[] = ['strict_date_optional_time', 'epoch_millis'];

/** The names of strict_date_optional_time and its aliases, epoch_millis and epoch_second. */
export const FORMAT_ALIASES: Record<string, DateFormatName> = {
  strict_date_optional_time: 'strict_date_optional_time',
  date_optional_time: 'strict_date_optional_time',
  strictDateOptionalTime: 'strict_date_optional_time',
  dateOptionalTime: 'strict_date_optional_time',
  strict_date_optional_time_nanos: 'strict_date_optional_time',
  strict_date_time: 'strict_date_optional_time',
  date_time: 'strict_date_optional_time',
  epoch_millis: 'epoch_millis',
  epoch_second: 'epoch_second',
};

/** Parses a `format` value (`a||b`); throws for formats the in-memory backend does not know. */
export function parseDateFormats(format: string): DateFormatName[] {
  return format.split('||').map((f) => {
    const name = FORMAT_ALIASES[f.trim()];
    if (!name) {
      throw new EsalertError(
        'QUERY_SYNTAX',
        `date format "${f}" is not supported by the in-memory search backend (supported: ${Object.keys(FORMAT_ALIASES).join(', ')})`,
      );
    }
    return name;
  });
}

export interface DateContext {
  formats: readonly DateFormatName[];
  /** time_zone: an offset (+01:00), UTC/Z, or an IANA zone name; dates without a zone are read in it. */
  timeZone?: string | undefined;
  /** The instant `now` stands for. */
  now: number;
}

export class DateParseError extends Error {}

interface Fields {
  year: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  /** Nanoseconds written, as digits (1-9 of them). */
  fraction?: string;
  /** Offset in minutes, when the text had a zone. */
  offset?: number;
}

const ISO =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$/;

function parseIsoFields(text: string): Fields | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const f: Fields = { year: Number(m[1]) };
  if (m[2] !== undefined) f.month = Number(m[2]);
  if (m[3] !== undefined) f.day = Number(m[3]);
  if (m[4] !== undefined) f.hour = Number(m[4]);
  if (m[5] !== undefined) f.minute = Number(m[5]);
  if (m[6] !== undefined) f.second = Number(m[6]);
  if (m[7] !== undefined) f.fraction = m[7];
  if (m[8] !== undefined) {
    if (m[8] === 'Z') f.offset = 0;
    else {
      const sign = m[8][0] === '-' ? -1 : 1;
      const digits = m[8].slice(1).replace(':', '');
      const h = Number(digits.slice(0, 2));
      const mm = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
      if (h > 18 || mm > 59) return undefined;
      f.offset = sign * (h * 60 + mm);
    }
  }
  if (f.month !== undefined && (f.month < 1 || f.month > 12)) return undefined;
  if (f.day !== undefined && (f.day < 1 || f.day > daysInMonth(f.year, f.month!))) return undefined;
  if (f.hour !== undefined && f.hour > 23) return undefined;
  if (f.minute !== undefined && f.minute > 59) return undefined;
  if (f.second !== undefined && f.second > 59) return undefined;
  return f;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** True when `text` is a complete strict_date_optional_time date (dynamic mapping's date detection). */
export function isIsoDate(text: string): boolean {
  return parseIsoFields(text) !== undefined;
}

const wallClockFormats = new Map<string, Intl.DateTimeFormat | undefined>();

/** A formatter of wall-clock fields in an IANA time zone (one per zone); undefined when the zone is unknown. */
export function wallClockFormat(zone: string): Intl.DateTimeFormat | undefined {
  if (!wallClockFormats.has(zone)) wallClockFormats.set(zone, newWallClockFormat(zone));
  return wallClockFormats.get(zone);
}

function newWallClockFormat(zone: string): Intl.DateTimeFormat | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
}

/** The offset from UTC (ms, whole seconds) that `fmt`'s zone has at the UTC instant `utcMs`. */
export function offsetWith(fmt: Intl.DateTimeFormat, utcMs: number): number {
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(utcMs)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(
    parts.year!,
    parts.month! - 1,
    parts.day!,
    parts.hour!,
    parts.minute!,
    parts.second!,
  );
  return local - Math.floor(utcMs / 1000) * 1000;
}

/** Offset of `zone` from UTC at the UTC instant `utcMs`, in ms. */
export function zoneOffsetMs(zone: string | undefined, utcMs: number): number {
  if (!zone || zone === 'Z' || zone === 'UTC' || zone === 'GMT' || zone === 'Etc/UTC') return 0;
  const fixed = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3] ?? 0)) * 60_000;
  const fmt = wallClockFormat(zone);
  if (!fmt) throw new EsalertError('QUERY_SYNTAX', `unknown time_zone "${zone}"`);
  return offsetWith(fmt, utcMs);
}

/** The UTC instant of a wall-clock time (given as if it were UTC) in `zone`. */
function localToUtc(localAsUtc: number, zone: string | undefined): number {
  let guess = localAsUtc - zoneOffsetMs(zone, localAsUtc);
  guess = localAsUtc - zoneOffsetMs(zone, guess);
  return guess;
}

function fieldsToMs(f: Fields, roundUp: boolean, zone: string | undefined): number {
  const month = f.month ?? 1;
  const day = f.day ?? 1;
  const hour = f.hour ?? (roundUp ? 23 : 0);
  const minute = f.minute ?? (roundUp ? 59 : 0);
  const second = f.second ?? (roundUp ? 59 : 0);
  const ms = f.fraction !== undefined ? Number(f.fraction.padEnd(3, '0').slice(0, 3)) : roundUp ? 999 : 0;
  const d = new Date(0);
  d.setUTCFullYear(f.year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  const wall = d.getTime();
  if (f.offset !== undefined) return wall - f.offset * 60_000;
  return localToUtc(wall, zone);
}

function parseWithFormats(text: string, roundUp: boolean, ctx: DateContext): number {
  for (const format of ctx.formats) {
    if (format === 'strict_date_optional_time') {
      const f = parseIsoFields(text);
      if (f) return fieldsToMs(f, roundUp, ctx.timeZone);
    } else if (/^-?\d+(\.\d+)?$/.test(text)) {
      const n = Number(text);
      return format === 'epoch_second' ? Math.floor(n * 1000) : Math.floor(n);
    }
  }
  throw new DateParseError(`failed to parse date field [${text}] with format [${ctx.formats.join('||')}]`);
}

const UNITS = new Set(['y', 'M', 'w', 'd', 'h', 'H', 'm', 's']);

function addUnit(ms: number, n: number, unit: string, zone: string | undefined): number {
  const off = zoneOffsetMs(zone, ms);
  const d = new Date(ms + off);
  switch (unit) {
    case 'y':
      d.setUTCFullYear(d.getUTCFullYear() + n);
      return localToUtc(d.getTime(), zone);
    case 'M':
      d.setUTCMonth(d.getUTCMonth() + n);
      return localToUtc(d.getTime(), zone);
    case 'w':
      return localToUtc(d.getTime() + n * 7 * 86_400_000, zone);
    case 'd':
      return localToUtc(d.getTime() + n * 86_400_000, zone);
    case 'h':
    case 'H':
      return ms + n * 3_600_000;
    case 'm':
      return ms + n * 60_000;
    default:
      return ms + n * 1000;
  }
}

function roundTo(ms: number, unit: string, roundUp: boolean, zone: string | undefined): number {
  const off = zoneOffsetMs(zone, ms);
  const d = new Date(ms + off);
  let start: number;
  switch (unit) {
    case 'y':
      start = Date.UTC(d.getUTCFullYear(), 0, 1);
      break;
    case 'M':
      start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      break;
    case 'w': {
      const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      start = day - ((d.getUTCDay() + 6) % 7) * 86_400_000;
      break;
    }
    case 'd':
      start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      break;
    case 'h':
    case 'H':
      start = Math.floor(d.getTime() / 3_600_000) * 3_600_000;
      break;
    case 'm':
      start = Math.floor(d.getTime() / 60_000) * 60_000;
      break;
    default:
      start = Math.floor(d.getTime() / 1000) * 1000;
  }
  const startUtc = localToUtc(start, zone);
  if (!roundUp) return startUtc;
  return addUnit(startUtc, 1, unit, zone) - 1;
}

function applyMath(
  base: number,
  math: string,
  roundUp: boolean,
  zone: string | undefined,
  text: string,
): number {
  let ms = base;
  let i = 0;
  while (i < math.length) {
    const op = math[i]!;
    i++;
    if (op === '/') {
      const unit = math[i];
      if (!unit || !UNITS.has(unit))
        throw new DateParseError(`rounding unit missing or unknown in [${text}]`);
      i++;
      ms = roundTo(ms, unit, roundUp, zone);
    } else if (op === '+' || op === '-') {
      let j = i;
      while (j < math.length && /\d/.test(math[j]!)) j++;
      const n = j === i ? 1 : Number(math.slice(i, j));
      const unit = math[j];
      if (!unit || !UNITS.has(unit))
        throw new DateParseError(`unit missing or unknown in date math [${text}]`);
      i = j + 1;
      ms = addUnit(ms, op === '-' ? -n : n, unit, zone);
    } else {
      throw new DateParseError(`operator not supported for date math [${text}]`);
    }
  }
  return ms;
}

/**
 * A date as Elasticsearch reads a query bound or term: `roundUp` for upper bounds (lte, gt) fills
 * missing fields upwards. Throws DateParseError when the text is not a date in the formats.
 */
export function parseDateMath(value: string | number, roundUp: boolean, ctx: DateContext): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DateParseError(`failed to parse date [${value}]`);
    return ctx.formats.includes('epoch_second') && !ctx.formats.includes('epoch_millis')
      ? Math.floor(value * 1000)
      : Math.floor(value);
  }
  const text = value.trim();
  if (text.startsWith('now')) return applyMath(ctx.now, text.slice(3), roundUp, ctx.timeZone, text);
  const sep = text.indexOf('||');
  if (sep < 0) return parseWithFormats(text, roundUp, ctx);
  return applyMath(
    parseWithFormats(text.slice(0, sep), roundUp, ctx),
    text.slice(sep + 2),
    roundUp,
    ctx.timeZone,
    text,
  );
}

/** A document's date value (no math, no rounding); undefined when it is not a date. */
export function parseDocumentDate(value: unknown, formats: readonly DateFormatName[]): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.floor(value) : undefined;
  if (typeof value !== 'string') return undefined;
  try {
    return parseWithFormats(value, false, { formats, now: 0 });
  } catch {
    return undefined;
  }
}

/** Elasticsearch's rendering of a date value (key_as_string, sort): ISO 8601 UTC with milliseconds. */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString();
}
