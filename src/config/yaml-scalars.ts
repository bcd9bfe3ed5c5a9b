/**
 * Scalars as PyYAML reads them (ElastAlert 2 loads rule files with `yaml.load(..., FullLoader)`):
 * the implicit resolvers that turn a plain scalar into a bool, int, float, null or timestamp
 * (YAML 1.1 with PyYAML's own regular expressions: `yes`/`on` are booleans, `0o17` and `1:30` are
 * ints, `1e3` is a string), and the constructors for explicit tags such as `!!int "0x1F"`, whose
 * rules are Python's `int()` and `float()`.
 */

export const TAG = {
  str: 'tag:yaml.org,2002:str',
  int: 'tag:yaml.org,2002:int',
  float: 'tag:yaml.org,2002:float',
  bool: 'tag:yaml.org,2002:bool',
  null: 'tag:yaml.org,2002:null',
  timestamp: 'tag:yaml.org,2002:timestamp',
  binary: 'tag:yaml.org,2002:binary',
  merge: 'tag:yaml.org,2002:merge',
  value: 'tag:yaml.org,2002:value',
  seq: 'tag:yaml.org,2002:seq',
  map: 'tag:yaml.org,2002:map',
  set: 'tag:yaml.org,2002:set',
  omap: 'tag:yaml.org,2002:omap',
  pairs: 'tag:yaml.org,2002:pairs',
} as const;

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT =
  /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP =
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;

/**
 * PyYAML's implicit resolvers, tried in its order for the scalar's first character
 * (bool, float, int, merge, null, timestamp, value).
 */
export function resolvePlain(value: string): string {
  const first = value[0] ?? '';
  if ('yYnNtTfFoO'.includes(first) && first !== '' && BOOL.test(value)) return TAG.bool;
  if (first !== '' && '-+0123456789.'.includes(first) && FLOAT.test(value)) return TAG.float;
  if (first !== '' && '-+0123456789'.includes(first) && INT.test(value)) return TAG.int;
  if (value === '<<') return TAG.merge;
  if ((first === '' || '~nN'.includes(first)) && NULL.test(value)) return TAG.null;
  if (first !== '' && '0123456789'.includes(first) && TIMESTAMP.test(value)) return TAG.timestamp;
  if (value === '=') return TAG.value;
  return TAG.str;
}

/** A float as PyYAML built it; only used where int and float must be told apart (`exactTypes`). */
export class PyFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

/** Python's tuple (`!!python/tuple`, `!!omap` and `!!pairs` entries); only with `exactTypes`. */
export class PyTuple extends Array<unknown> {}

export class ScalarError extends Error {}

/** Python's str.strip() whitespace. */
const PY_SPACE = '[\\s\\u001c-\\u001f\\u0085]';
const STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'gu');

const DIGITS: Record<number, RegExp> = {
  2: /^[01]+$/,
  8: /^[0-7]+$/,
  10: /^[0-9]+$/,
  16: /^[0-9a-fA-F]+$/,
};
const PREFIX: Record<number, RegExp> = { 2: /^0[bB]/, 8: /^0[oO]/, 10: /^$/, 16: /^0[xX]/ };

/** Python's int(text, base) for ASCII digits (underscores were already removed by PyYAML). */
function pyInt(text: string, base: 2 | 8 | 10 | 16): number | bigint {
  let s = text.replace(STRIP, '');
  let sign = 1n;
  if (s[0] === '+' || s[0] === '-') {
    if (s[0] === '-') sign = -1n;
    s = s.slice(1);
  }
  if (base !== 10) s = s.replace(PREFIX[base]!, '');
  // int('08') in base 10 is 8, but a base-10 literal with leading zeros must be all zeros
  if (!DIGITS[base]!.test(s)) throw new ScalarError(`not an integer in base ${base}`);
  const prefix = base === 2 ? '0b' : base === 8 ? '0o' : base === 16 ? '0x' : '';
  return normalizeInt(sign * BigInt(`${prefix}${s}`));
}

function normalizeInt(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

const PY_FLOAT_TEXT = /^[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|inf(?:inity)?|nan)$/i;

/** Python's float(text). */
function pyFloat(text: string): number {
  const s = text.replace(STRIP, '');
  if (!PY_FLOAT_TEXT.test(s)) throw new ScalarError('not a float');
  const lower = s.toLowerCase().replace(/^[-+]/, '');
  const negative = s.startsWith('-');
  if (lower.startsWith('inf')) return negative ? -Infinity : Infinity;
  if (lower === 'nan') return NaN;
  return Number(s);
}

function signAndRest(value: string): [1 | -1, string] {
  const sign = value[0] === '-' ? -1 : 1;
  return [sign, value[0] === '+' || value[0] === '-' ? value.slice(1) : value];
}

/** PyYAML's construct_yaml_int. */
export function constructInt(raw: string): number | bigint {
  const [sign, value] = signAndRest(raw.replaceAll('_', ''));
  if (value === undefined || raw.replaceAll('_', '') === '')
    throw new ScalarError('string index out of range');
  const signed = (n: number | bigint): number | bigint =>
    typeof n === 'bigint' ? normalizeInt(BigInt(sign) * n) : sign * n || 0;
  if (value === '0') return 0;
  if (value.startsWith('0b')) return signed(pyInt(value.slice(2), 2));
  if (value.startsWith('0x')) return signed(pyInt(value.slice(2), 16));
  if (value[0] === '0') return signed(pyInt(value, 8));
  if (value.includes(':')) {
    let total = 0n;
    let base = 1n;
    for (const part of value.split(':').reverse()) {
      total += BigInt(pyInt(part, 10)) * base;
      base *= 60n;
    }
    return signed(normalizeInt(total));
  }
  return signed(pyInt(value, 10));
}

/** PyYAML's construct_yaml_float: its own sign, `.inf`/`.nan`, base-60, then Python's float(). */
export function constructFloat(raw: string): number {
  const lowered = raw.replaceAll('_', '').toLowerCase();
  if (lowered === '') throw new ScalarError('string index out of range');
  const [sign, value] = signAndRest(lowered);
  if (value === '.inf') return sign * Infinity;
  if (value === '.nan') return NaN;
  if (value.includes(':')) {
    // summed from the last part, as PyYAML does (the rounding of the sum depends on the order)
    let total = 0;
    let base = 1;
    for (const part of value.split(':').reverse()) {
      total += pyFloat(part) * base;
      base *= 60;
    }
    return sign * total;
  }
  return sign * pyFloat(value);
}

const BOOL_VALUES: Record<string, boolean> = {
  yes: true,
  no: false,
  true: true,
  false: false,
  on: true,
  off: false,
};

export function constructBool(raw: string): boolean {
  const v = BOOL_VALUES[raw.toLowerCase()];
  if (v === undefined) throw new ScalarError('not a boolean (yes/no/true/false/on/off)');
  return v;
}

/**
 * Python's base64.decodebytes (binascii, not strict): characters outside the alphabet are skipped,
 * `=` completes a quantum and ends the data, an incomplete quantum without it is an error.
 */
export function constructBinary(raw: string): Uint8Array {
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(raw)) throw new ScalarError('failed to convert base64 data into ascii');
  let data = '';
  let pads = 0;
  let complete = false;
  for (const ch of raw) {
    if (ch === '=') {
      const quad = data.length % 4;
      if (quad >= 2 && quad + ++pads >= 4) {
        complete = true;
        break;
      }
    } else if (/[A-Za-z0-9+/]/.test(ch)) {
      pads = 0;
      data += ch;
    }
  }
  const quad = data.length % 4;
  if (!complete && quad === 1)
    throw new ScalarError(
      `failed to decode base64 data: Invalid base64-encoded string: number of data characters (${data.length}) cannot be 1 more than a multiple of 4`,
    );
  if (!complete && quad !== 0) throw new ScalarError('failed to decode base64 data: Incorrect padding');
  return new Uint8Array(Buffer.from(data, 'base64'));
}

const TIMESTAMP_PARTS =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?\n?$/;

/**
 * Python's datetime.date or datetime.datetime from a YAML timestamp. The instant is the wall
 * time at its offset (a time without an offset is read as UTC, as Elasticsearch reads it);
 * `toJSON()` gives Python's isoformat(), which is what ElastAlert 2 sends to Elasticsearch.
 */
export class YamlTimestamp extends Date {
  readonly dateOnly: boolean;
  /** year, month (1-12), day, hour, minute, second, microsecond: as written. */
  readonly parts: readonly [number, number, number, number, number, number, number];
  /** Minutes east of UTC; undefined for a time without an offset (Python's naive datetime). */
  readonly offsetMinutes: number | undefined;

  constructor(
    dateOnly: boolean,
    parts: readonly [number, number, number, number, number, number, number],
    offsetMinutes: number | undefined,
  ) {
    const [y, mo, d, h, mi, s, us] = parts;
    const utc = new Date(0);
    utc.setUTCFullYear(y, mo - 1, d);
    utc.setUTCHours(h, mi, s, Math.floor(us / 1000));
    super(utc.getTime() - (offsetMinutes ?? 0) * 60_000);
    this.dateOnly = dateOnly;
    this.parts = parts;
    this.offsetMinutes = offsetMinutes;
  }

  private iso(sep: string): string {
    const [y, mo, d, h, mi, s, us] = this.parts;
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const date = `${p(y, 4)}-${p(mo)}-${p(d)}`;
    if (this.dateOnly) return date;
    let out = `${date}${sep}${p(h)}:${p(mi)}:${p(s)}${us ? `.${p(us, 6)}` : ''}`;
    if (this.offsetMinutes !== undefined) {
      const m = Math.abs(this.offsetMinutes);
      out += `${this.offsetMinutes < 0 ? '-' : '+'}${p(Math.floor(m / 60))}:${p(m % 60)}`;
    }
    return out;
  }

  override toJSON(): string {
    return this.iso('T');
  }

  override toString(): string {
    return this.iso(' ');
  }
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** PyYAML's construct_yaml_timestamp, with datetime's range checks. */
export function constructTimestamp(raw: string): YamlTimestamp {
  const m = TIMESTAMP_PARTS.exec(raw);
  if (!m) throw new ScalarError('not a timestamp (YYYY-MM-DD or YYYY-MM-DD hh:mm:ss)');
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1) throw new ScalarError(`year ${year} is out of range`);
  if (month < 1 || month > 12) throw new ScalarError('month must be in 1..12');
  if (day < 1 || day > daysIn(year, month)) throw new ScalarError('day is out of range for month');
  if (m[4] === undefined) return new YamlTimestamp(true, [year, month, day, 0, 0, 0, 0], undefined);
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hour > 23) throw new ScalarError('hour must be in 0..23');
  if (minute > 59) throw new ScalarError('minute must be in 0..59');
  if (second > 59) throw new ScalarError('second must be in 0..59');
  const micro = m[7] ? Number(m[7].slice(0, 6).padEnd(6, '0')) : 0;
  let offset: number | undefined;
  if (m[9]) {
    offset = (Number(m[10]) * 60 + Number(m[11] ?? 0)) * (m[9] === '-' ? -1 : 1);
    if (Math.abs(offset) >= 24 * 60)
      throw new ScalarError(
        'offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24)',
      );
  } else if (m[8] === 'Z') offset = 0;
  return new YamlTimestamp(false, [year, month, day, hour, minute, second, micro], offset);
}
