/**
 * timestamp_type: how a rule's timestamp field is read from documents and written into range
 * queries (iso, unix seconds, unix_ms, or custom with timestamp_format), as in ElastAlert 2.
 */
import { parseDocumentTimestamp, strftime, strptime, toIso } from '../util/time.ts';

export type TimestampType = 'iso' | 'unix' | 'unix_ms' | 'custom';

export interface TimestampCodec {
  /** A document's timestamp value as epoch ms (undefined when unreadable). */
  read(value: unknown): number | undefined;
  /** An instant as the rule's query expects it. */
  write(ms: number): string | number;
}

function numeric(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return undefined;
}

export function timestampCodec(
  type: TimestampType,
  format = '%Y-%m-%dT%H:%M:%SZ',
  queryTimezone?: string,
): TimestampCodec {
  switch (type) {
    case 'iso':
      return {
        // ISO text, or epoch milliseconds as Elasticsearch's default date format reads them
        read: parseDocumentTimestamp,
        write: queryTimezone ? (ms) => isoInZone(ms, queryTimezone) : toIso,
      };
    case 'unix':
      return {
        read: (v) => {
          const n = numeric(v);
          return n === undefined ? undefined : Math.round(n * 1000);
        },
        write: (ms) => Math.floor(ms / 1000),
      };
    case 'unix_ms':
      return { read: (v) => numeric(v), write: (ms) => Math.floor(ms) };
    case 'custom':
      return {
        read: (v) =>
          v instanceof Date ? v.getTime() : typeof v === 'string' ? strptime(v, format) : undefined,
        write: (ms) => strftime(format, ms, queryTimezone ?? 'UTC'),
      };
  }
}

/** ISO 8601 with the zone's offset (query_timezone). */
function isoInZone(ms: number, zone: string): string {
  const body = strftime('%Y-%m-%dT%H:%M:%S', ms, zone);
  const frac = ms % 1000 ? `.${String(ms % 1000).padStart(3, '0')}` : '';
  const z = strftime('%z', ms, zone);
  return `${body}${frac}${z === '+0000' ? 'Z' : `${z.slice(0, 3)}:${z.slice(3)}`}`;
}
