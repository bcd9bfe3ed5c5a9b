/**
 * Python's printf-style `format % value` for one value (metric_format_string: '%.2f'), Python's
 * repr() of floats, and ElastAlert 2's format_string, which picks str.format when the format
 * starts with "{" and `%` otherwise.
 */
import { pyExponential, pyFixed, pyGeneral } from '../util/py-float.ts';
import { pythonRepr } from '../model/lookup.ts';
import { FormatError, pythonFormat } from './python-format.ts';

/** Python's repr() of a float: shortest round-trip digits, "1.0", "1e-05", "1e+16", "inf", "nan". */
export function pythonFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let body: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    body = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    body = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    body = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  } else {
    body = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return negative ? `-${body}` : body;
}

/** str() of a number as Python would hold it: floats as pythonFloat, integers as they are. */
export function pythonNumber(n: number, isFloat: boolean): string {
  return isFloat ? pythonFloat(n) : String(n);
}

/** Python's round(x, digits): correctly rounded, exact binary ties to even (toFixed breaks them upwards). */
export function pythonRound(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const a = Math.abs(x);
  const scaled = a * 10 ** digits;
  const tie =
    Number.isInteger(a * 2 ** (digits + 1)) && !Number.isInteger(scaled) && Number.isInteger(scaled * 2);
  if (!tie) return Number(x.toFixed(digits));
  const floor = Math.floor(scaled);
  const r = floor % 2 === 0 ? floor : floor + 1;
  return Number(`${x < 0 ? '-' : ''}${r}e-${digits}`);
}

const SPEC = /%(?:\(([^)]*)\))?([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([diouxXeEfFgGcrsa%])/y;

function padTo(text: string, width: number | undefined, flags: string, numeric: boolean): string {
  if (width === undefined || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (numeric && flags.includes('0')) {
    const sign = /^[-+ ]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

function convert(value: unknown, type: string, flags: string, precision: number | undefined): string {
  if (type === 's' || type === 'r' || type === 'a') {
    let text =
      typeof value === 'number' && !Number.isInteger(value)
        ? pythonFloat(value)
        : type === 's'
          ? typeof value === 'string'
            ? value
            : pythonRepr(value)
          : pythonRepr(value);
    if (precision !== undefined) text = text.slice(0, precision);
    return text;
  }
  if (type === 'c') {
    if (typeof value === 'string' && value.length === 1) return value;
    if (typeof value === 'number' && Number.isInteger(value)) return String.fromCodePoint(value);
    throw new FormatError('%c requires an int or a single character');
  }
  const n = typeof value === 'boolean' ? Number(value) : value;
  if (typeof n !== 'number') throw new FormatError(`%${type} format: a real number is required, not text`);
  const negative = n < 0 || Object.is(n, -0);
  const a = Math.abs(n);
  let body: string;
  switch (type) {
    case 'd':
    case 'i':
    case 'u':
      body = String(Math.trunc(a));
      break;
    case 'o':
    case 'x':
    case 'X':
      if (!Number.isInteger(n)) throw new FormatError(`%${type} format: an integer is required, not float`);
      body = a.toString(type === 'o' ? 8 : 16);
      if (type === 'X') body = body.toUpperCase();
      if (flags.includes('#')) body = `0${type}${body}`;
      break;
    case 'f':
    case 'F':
      body = Number.isFinite(a) ? pyFixed(a, precision ?? 6) : 'inf';
      if (flags.includes('#') && precision === 0) body += '.';
      break;
    case 'e':
    case 'E':
      body = pyExponential(a, precision ?? 6);
      if (type === 'E') body = body.toUpperCase();
      break;
    default: // g, G
      body = pyGeneral(a, precision ?? 6, flags.includes('#'));
      if (type === 'G') body = body.toUpperCase();
  }
  const sign = negative ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  return sign + body;
}

/**
 * Renders a printf-style format; `valueFor` gives the value of each conversion (its mapping key
 * when written as `%(key)s`) or throws a FormatError.
 */
function render(format: string, valueFor: (mapping: string | undefined) => unknown): string {
  let out = '';
  let i = 0;
  while (i < format.length) {
    const at = format.indexOf('%', i);
    if (at < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, at);
    SPEC.lastIndex = at;
    const m = SPEC.exec(format);
    if (!m) {
      const c = format[at + 1];
      throw new FormatError(c === undefined ? 'incomplete format' : `unsupported format character '${c}'`);
    }
    i = SPEC.lastIndex;
    const [, mapping, flags = '', width, prec, type = ''] = m;
    if (type === '%') {
      out += '%';
      continue;
    }
    if (width === '*' || prec === '*') throw new FormatError('* width needs more than one value');
    const value = valueFor(mapping);
    const precision = prec === undefined ? undefined : prec === '' ? 0 : Number(prec);
    const text = convert(value, type, flags, precision);
    out += padTo(text, width === undefined ? undefined : Number(width), flags, !'srac'.includes(type));
  }
  return out;
}

/** `format % value` with exactly one value (Python raises when the format takes more or none). */
export function percentFormat(format: string, value: unknown): string {
  let used = 0;
  const out = render(format, (mapping) => {
    if (mapping !== undefined) throw new FormatError('format requires a mapping');
    if (used++ > 0) throw new FormatError('not enough arguments for format string');
    return value;
  });
  if (used === 0) throw new FormatError('not all arguments converted during string formatting');
  return out;
}

/** `format % mapping`: every conversion names its key (`%(host)s`); `get` gives each key's value. */
export function percentFormatMapping(format: string, get: (key: string) => unknown): string {
  return render(format, (mapping) => {
    if (mapping === undefined) throw new FormatError('format requires a mapping');
    return get(mapping);
  });
}

/** ElastAlert 2's format_string: str.format when the format starts with "{", else `format % value`. */
export function formatNumberString(format: string, value: unknown): string {
  return format.startsWith('{') ? pythonFormat(format, [value]) : percentFormat(format, value);
}
