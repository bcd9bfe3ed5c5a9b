/**
 * Python's str.format, for alert_text / alert_subject with *_args and *_kw: `{}` and `{0}`,
 * `{name}`, `{name[key]}` and `{name.attr}`, `!s`/`!r`, and format specs (fill, align, sign,
 * width, grouping, precision, type: s d f e g % x o b). `{{` and `}}` are literal braces.
 */
import { pyExponential, pyFixed, pyGeneral } from '../util/py-float.ts';
import { pythonRepr, pythonStr } from '../model/lookup.ts';

export class FormatError extends Error {}

interface Spec {
  fill: string;
  align: string | undefined;
  sign: string;
  alt: boolean;
  zero: boolean;
  width: number | undefined;
  grouping: string | undefined;
  precision: number | undefined;
  type: string | undefined;
}

function parseSpec(spec: string): Spec {
  const m = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s.exec(spec);
  if (!m) throw new FormatError(`invalid format specifier "${spec}"`);
  return {
    fill: m[1] ?? (m[5] && !m[2] ? '0' : ' '),
    align: m[2] ?? (m[5] ? '=' : undefined),
    sign: m[3] ?? '-',
    alt: Boolean(m[4]),
    zero: Boolean(m[5]),
    width: m[6] ? Number(m[6]) : undefined,
    grouping: m[7],
    precision: m[8] ? Number(m[8]) : undefined,
    type: m[9],
  };
}

function group(intPart: string, sep: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

function formatNumber(n: number, s: Spec): string {
  const type = s.type ?? (Number.isInteger(n) ? 'd' : 'g');
  const neg = n < 0 || Object.is(n, -0);
  const a = Math.abs(n);
  let body: string;
  switch (type) {
    case 'd':
    case 'n':
      if (!Number.isInteger(n)) throw new FormatError(`Unknown format code 'd' for a non-integer value ${n}`);
      body = String(a);
      break;
    case 'f':
    case 'F':
      body = pyFixed(a, s.precision ?? 6);
      break;
    case 'e':
    case 'E':
      body = pyExponential(a, s.precision ?? 6);
      if (type === 'E') body = body.toUpperCase();
      break;
    case '%':
      body = `${pyFixed(a * 100, s.precision ?? 6)}%`;
      break;
    case 'x':
    case 'X':
    case 'o':
    case 'b': {
      const radix = type === 'o' ? 8 : type === 'b' ? 2 : 16;
      body = Math.trunc(a).toString(radix);
      if (type === 'X') body = body.toUpperCase();
      if (s.alt) body = `0${type === 'X' ? 'X' : type}${body}`;
      break;
    }
    case 'g':
    case 'G': {
      if (!s.type) {
        body = String(a); // no type: str() of the number
        break;
      }
      body = pyGeneral(a, s.precision ?? 6, s.alt);
      if (type === 'G') body = body.toUpperCase();
      break;
    }
    default:
      throw new FormatError(`Unknown format code '${type}' for a number`);
  }
  if (s.grouping) {
    const [i, rest] = body.split(/(?=[.eE%])/, 2) as [string, string | undefined];
    body = group(i, s.grouping) + (rest ?? '');
  }
  const sign = neg ? '-' : s.sign === '+' ? '+' : s.sign === ' ' ? ' ' : '';
  return pad(sign, body, s, '>');
}

function pad(sign: string, body: string, s: Spec, defaultAlign: string): string {
  const text = sign + body;
  const width = s.width ?? 0;
  if (text.length >= width) return text;
  const fill = s.fill.repeat(width - text.length);
  switch (s.align ?? defaultAlign) {
    case '<':
      return text + fill;
    case '^': {
      const left = Math.floor((width - text.length) / 2);
      return s.fill.repeat(left) + text + s.fill.repeat(width - text.length - left);
    }
    case '=':
      return sign + fill + body;
    default:
      return fill + text;
  }
}

function formatValue(value: unknown, specText: string, conversion: string | undefined): string {
  if (conversion === 'r') value = pythonRepr(value);
  else if (conversion === 's') value = pythonStr(value);
  if (!specText) return pythonStr(value);
  const s = parseSpec(specText);
  if (typeof value === 'number' && s.type !== 's') return formatNumber(value, s);
  if (typeof value === 'boolean' && s.type && 'dfeg%xob'.includes(s.type))
    return formatNumber(value ? 1 : 0, s);
  if (s.type && s.type !== 's') throw new FormatError(`Unknown format code '${s.type}' for a text value`);
  let text = pythonStr(value);
  if (s.precision !== undefined) text = text.slice(0, s.precision);
  return pad('', text, s, '<');
}

function resolveField(
  field: string,
  args: readonly unknown[],
  kwargs: Record<string, unknown>,
  auto: { next: number },
): unknown {
  const m = /^([^.[]*)(.*)$/s.exec(field)!;
  const head = m[1]!;
  let value: unknown;
  if (head === '') {
    if (auto.next < 0) throw new FormatError('cannot switch from manual field numbering to automatic');
    value = args[auto.next];
    if (auto.next >= args.length)
      throw new FormatError(`Replacement index ${auto.next} out of range for ${args.length} value(s)`);
    auto.next++;
  } else if (/^\d+$/.test(head)) {
    auto.next = -1;
    const i = Number(head);
    if (i >= args.length)
      throw new FormatError(`Replacement index ${i} out of range for ${args.length} value(s)`);
    value = args[i];
  } else {
    if (!(head in kwargs)) throw new FormatError(`no value named "${head}"`);
    value = kwargs[head];
  }
  for (const part of (m[2] ?? '').matchAll(/\.([^.[]+)|\[([^\]]+)\]/g)) {
    const key = part[1] ?? part[2]!;
    if (value === null || value === undefined || typeof value !== 'object')
      throw new FormatError(`cannot look up "${key}" in ${pythonStr(value)}`);
    const container = value as Record<string, unknown>;
    value = Array.isArray(container) && /^\d+$/.test(key) ? container[Number(key)] : container[key];
  }
  return value;
}

export function pythonFormat(
  template: string,
  args: readonly unknown[] = [],
  kwargs: Record<string, unknown> = {},
): string {
  let out = '';
  const auto = { next: 0 };
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c === '{') {
      if (template[i + 1] === '{') {
        out += '{';
        i += 2;
        continue;
      }
      // find the matching close brace (a format spec may hold one nested {...})
      let depth = 1;
      let j = i + 1;
      while (j < template.length && depth > 0) {
        if (template[j] === '{') depth++;
        else if (template[j] === '}') depth--;
        j++;
      }
      if (depth !== 0) throw new FormatError("Single '{' encountered in format string");
      const inner = template.slice(i + 1, j - 1);
      const m = /^([^!:]*)(?:!([rsa]))?(?::(.*))?$/s.exec(inner);
      if (!m) throw new FormatError(`invalid replacement field "{${inner}}"`);
      const spec = (m[3] ?? '').replace(/\{([^}]*)\}/g, (_, f: string) =>
        pythonStr(resolveField(f, args, kwargs, auto)),
      );
      out += formatValue(resolveField(m[1]!, args, kwargs, auto), spec, m[2]);
      i = j;
      continue;
    }
    if (c === '}') {
      if (template[i + 1] === '}') {
        out += '}';
        i += 2;
        continue;
      }
      throw new FormatError("Single '}' encountered in format string");
    }
    out += c;
    i++;
  }
  return out;
}
