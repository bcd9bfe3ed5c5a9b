/**
 * esalert's YAML reading in the type-preserving JSON form test/harness/pyyaml-load.py gives
 * PyYAML's, so the two compare with a deep equality.
 */
import { readFileSync } from 'node:fs';
import { constructYaml } from '../../src/config/yaml-construct.ts';
import { parsePyYaml } from '../../src/config/yaml-parse.ts';
import { PyFloat, PyTuple, YamlTimestamp } from '../../src/config/yaml-scalars.ts';

export type Encoded = { ok: unknown } | { error: string };

function floatBits(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  return Buffer.from(view.buffer).toString('hex');
}

export function encode(value: unknown): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`a number that is not an integer: ${value}`);
    return { int: String(value === 0 ? 0 : value) };
  }
  if (typeof value === 'bigint') return { int: value.toString() };
  if (value instanceof PyFloat) return { float: floatBits(value.value) };
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('base64') };
  if (value instanceof PyTuple) return { tuple: [...value].map(encode) };
  if (Array.isArray(value)) return value.map(encode);
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [encode(k), encode(v)]) };
  if (value instanceof Set) {
    const items = [...value].map(encode);
    return { set: items.sort((a, b) => cmp(pyJson(a), pyJson(b))) };
  }
  if (value instanceof YamlTimestamp) {
    if (value.dateOnly) return { date: value.toJSON() };
    return { datetime: [...value.parts], offset: value.offsetMinutes ?? null };
  }
  throw new Error(`cannot encode ${Object.prototype.toString.call(value)}`);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Python's json.dumps(value, sort_keys=True) for the encoded form (the sort key of set elements). */
function pyJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => cmp(a, b));
    return `{${entries.map(([k, v]) => `${pyString(k)}: ${pyJson(v)}`).join(', ')}}`;
  }
  if (typeof value === 'string') return pyString(value);
  return JSON.stringify(value);
}

/** json.dumps of a string (ensure_ascii): non-ASCII as \uXXXX. */
function pyString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Reads a file as esalert reads rule files, without ${VAR} interpolation. */
export function loadEncoded(file: string): Encoded {
  const { text, doc, error } = parsePyYaml(readFileSync(file, 'utf8'));
  if (error) return { error: error.message };
  try {
    return { ok: doc ? encode(constructYaml(doc, { text, exactTypes: true })) : null };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
