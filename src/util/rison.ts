/**
 * Encodings Kibana and OpenSearch Dashboards links are made of, written the way ElastAlert 2's
 * Python produces them so that links come out byte for byte the same: Rison (as the `prison`
 * package writes it: keys sorted, ids unquoted), urllib's quote(), and json.dumps with
 * ensure_ascii and compact separators.
 */

/** Characters that may not appear in a Rison id (ASCII only: other characters are id characters). */
const NOT_ID_CHAR = /[^A-Za-z0-9_\-./~\u007f-\uffff]/;
const NOT_ID_START = /^[-0-9]/;

/** Python's repr() of a float (shortest round-trip digits; exponent below 1e-4 and from 1e16). */
export function pythonFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  // YAML and JSON integers are Python ints: all their digits
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const [mantissa, exp] = n.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  const s = String(n);
  return s.includes('.') ? s : `${s}.0`;
}

function risonString(s: string): string {
  if (s === '') return "''";
  if (!NOT_ID_START.test(s) && !NOT_ID_CHAR.test(s)) return s;
  return `'${s.replace(/['!]/g, (c) => `!${c}`)}'`;
}

/** Rison of a JSON-like value: objects with sorted keys, !t/!f/!n, !(...) lists. */
export function rison(value: unknown): string {
  if (value === null || value === undefined) return '!n';
  if (value === true) return '!t';
  if (value === false) return '!f';
  if (typeof value === 'number') return pythonFloatRepr(value).replace('+', '');
  if (typeof value === 'string') return risonString(value);
  if (Array.isArray(value)) return `!(${value.map(rison).join(',')})`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `(${keys.map((k) => `${risonString(k)}:${rison((value as Record<string, unknown>)[k])}`).join(',')})`;
  }
  return risonString(String(value));
}

/** Python's urllib.parse.quote(text) (safe='/'): UTF-8, everything but A-Z a-z 0-9 _ . - ~ / escaped. */
export function pythonQuote(text: string, safe = '/'): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out +=
      /[A-Za-z0-9_.\-~]/.test(c) || (byte < 128 && safe.includes(c))
        ? c
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Python's urllib.parse.quote_plus: as quote with nothing safe, and spaces as '+'. */
export function pythonQuotePlus(text: string): string {
  return text
    .split(' ')
    .map((part) => pythonQuote(part, ''))
    .join('+');
}

/** Python's json.dumps(value, separators=(',', ':')): ASCII only, keys in their order, floats as repr. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return pythonFloatRepr(value);
  }
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(',')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pythonJsonDumps(k)}:${pythonJsonDumps(v)}`)
      .join(',')}}`;
  }
  return pythonJsonDumps(String(value));
}
