/**
 * JSON text as Python's json.dumps writes it by default (", " and ": " separators, non-ASCII
 * escaped as \uXXXX), for payloads whose exact text ElastAlert 2 users may parse downstream
 * (GELF short_message, STOMP bodies, the command alerter's stdin).
 */

const escapeNonAscii = (text: string) =>
  text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

export function pythonJsonDumps(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return escapeNonAscii(JSON.stringify(value));
  if (typeof value === 'number')
    return Number.isFinite(value)
      ? JSON.stringify(value)
      : value > 0
        ? 'Infinity'
        : value < 0
          ? '-Infinity'
          : 'NaN';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
  }
  return pythonJsonDumps(String(value));
}
