/**
 * Python's value semantics where ElastAlert 2's rule types depend on them: truthiness (`not v`),
 * equality (`==`, where 1 == 1.0 == True and lists compare element-wise) and dictionary keys
 * (`hashable()`: lists and dicts become their str(), and 1, 1.0 and True are the same key).
 * Missing values and JSON null are Python's None.
 */
import { pythonRepr } from '../model/lookup.ts';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python's `not value`: None, False, 0, '', [] and {} are falsy. */
export function pyFalsy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return true;
  if (typeof value === 'number') return Number.isNaN(value) ? false : value === 0;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  return false;
}

/** Python's `a == b` for JSON-like values. */
export function pyEquals(a: unknown, b: unknown): boolean {
  const na = a === undefined ? null : a;
  const nb = b === undefined ? null : b;
  if (na === null || nb === null) return na === nb;
  const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'boolean';
  if (numeric(na) && numeric(nb)) return Number(na) === Number(nb);
  if (typeof na === 'string' || typeof nb === 'string') return na === nb;
  if (Array.isArray(na) && Array.isArray(nb))
    return na.length === nb.length && na.every((x, i) => pyEquals(x, nb[i]));
  if (isObject(na) && isObject(nb)) {
    const ka = Object.keys(na);
    return ka.length === Object.keys(nb).length && ka.every((k) => k in nb && pyEquals(na[k], nb[k]));
  }
  return false;
}

/**
 * A string standing for the value where Python compares with `==` (list membership): equal
 * values get equal strings. Lists, dicts and tuples keep their kind (a list never equals its
 * text).
 */
export function pyEqualityKey(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (typeof value === 'number' || typeof value === 'boolean') return `n:${Number(value)}`;
  if (typeof value === 'string') return `s:${value}`;
  if (Array.isArray(value)) return `l:[${value.map(pyEqualityKey).join(',')}]`;
  if (isObject(value))
    return `d:{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${pyEqualityKey(value[k])}`)
      .join(',')}}`;
  return `o:${String(value)}`;
}

/** The key of a tuple of values (new_term's composite fields). */
export function pyTupleKey(values: readonly unknown[]): string {
  return `t:(${values.map(pyEqualityKey).join(',')})`;
}

/** ElastAlert 2's `hashable(value)` used as a dictionary key: lists and dicts by their str(). */
export function pyHashKey(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (typeof value === 'object') return `s:${pythonRepr(value)}`;
  return pyEqualityKey(value);
}
