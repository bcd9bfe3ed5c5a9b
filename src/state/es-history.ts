/** The writeback indices in Elasticsearch, read back for the console (see history.ts). */
import { EsalertError } from '../errors/esalert-error.ts';
import type { Doc } from '../model/lookup.ts';
import { type EsClient as Client, errors as esErrors, toEsError } from '../query/es-client.ts';
import { toIso } from '../util/time.ts';
import type { AlertQuery, HistoryReader, StoredSilence } from './history.ts';
import { type AlertDoc, type StatusDoc, writebackIndex } from './writeback.ts';

const isMissingIndex = (err: unknown) => err instanceof esErrors.ResponseError && err.meta.statusCode === 404;

function stateFilter(state: AlertQuery['state']): { filter: Doc[]; mustNot: Doc[] } {
  switch (state) {
    case undefined:
      return { filter: [], mustNot: [] };
    case 'delivered':
      return { filter: [{ term: { alert_sent: true } }], mustNot: [] };
    case 'failed':
      return {
        filter: [{ term: { alert_sent: false } }, { exists: { field: 'alert_exception' } }],
        mustNot: [],
      };
    case 'pending':
      return {
        filter: [{ term: { alert_sent: false } }],
        mustNot: [{ exists: { field: 'alert_exception' } }],
      };
  }
}

interface SilenceSource {
  rule_name: string;
  until: string;
  exponent?: number;
  '@timestamp'?: string;
  author?: string;
  reason?: string;
}

const silenceOf = (id: string, s: SilenceSource): StoredSilence => ({
  id,
  key: s.rule_name,
  until: s.until,
  exponent: s.exponent ?? 0,
  at: s['@timestamp'],
  ...(typeof s.author === 'string' ? { author: s.author } : {}),
  ...(typeof s.reason === 'string' ? { reason: s.reason } : {}),
});

export function createEsHistory(client: Client, base: string): HistoryReader {
  const read = async <T>(what: string, empty: T, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (isMissingIndex(err)) return empty;
      throw new EsalertError('WRITEBACK_FAILED', toEsError(err, `writeback: ${what}`).message, {
        cause: err,
        retryable: true,
      });
    }
  };
  return {
    alerts(q, signal) {
      return read('reading alerts', { total: 0, alerts: [] }, async () => {
        const { filter, mustNot } = stateFilter(q.state);
        if (q.rule !== undefined) filter.push({ term: { rule_name: q.rule } });
        if (q.aggregateId !== undefined) filter.push({ term: { aggregate_id: q.aggregateId } });
        else if (q.headsOnly !== false) mustNot.push({ exists: { field: 'aggregate_id' } });
        if (q.from !== undefined || q.to !== undefined)
          filter.push({
            range: {
              [q.timeField ?? '@timestamp']: {
                ...(q.from ? { gte: q.from } : {}),
                ...(q.to ? { lte: q.to } : {}),
              },
            },
          });
        const res = await client.search<AlertDoc>(
          {
            index: writebackIndex(base, 'alert'),
            query: { bool: { filter, must_not: mustNot } },
            sort: [{ '@timestamp': { order: 'desc' } }, { _doc: { order: 'desc' } }] as never,
            from: q.offset,
            size: q.size,
            track_total_hits: true,
            ignore_unavailable: true,
            ...(q.fields ? { _source_includes: q.fields } : {}),
          },
          { signal },
        );
        const total = res.hits.total;
        return {
          total: typeof total === 'number' ? total : (total?.value ?? 0),
          alerts: res.hits.hits.map((h) => ({ id: h._id!, doc: h._source! })),
        };
      });
    },

    alert(id, signal) {
      return read('reading an alert', undefined, async () => {
        const res = await client.get<AlertDoc>({ index: writebackIndex(base, 'alert'), id }, { signal });
        return res._source;
      });
    },

    statuses(rule, limit, signal) {
      return read('reading run statuses', [] as StatusDoc[], async () => {
        const res = await client.search<StatusDoc>(
          {
            index: writebackIndex(base, 'status'),
            query: { bool: { filter: { term: { rule_name: rule } } } },
            sort: [{ '@timestamp': { order: 'desc' } }],
            size: limit,
            ignore_unavailable: true,
          },
          { signal },
        );
        return res.hits.hits.map((h) => h._source!);
      });
    },

    silenceById(id, signal) {
      return read('reading a silence', undefined, async () => {
        const res = await client.get<SilenceSource>(
          { index: writebackIndex(base, 'silence'), id },
          { signal },
        );
        return res._source ? silenceOf(id, res._source) : undefined;
      });
    },

    silences(activeAt, signal) {
      return read('listing silences', [] as StoredSilence[], async () => {
        const res = await client.search<SilenceSource>(
          {
            index: writebackIndex(base, 'silence'),
            query:
              activeAt === undefined
                ? { match_all: {} }
                : { bool: { filter: [{ range: { until: { gt: toIso(activeAt) } } }] } },
            sort: [{ until: { order: 'desc' } }],
            size: 1000,
            ignore_unavailable: true,
          },
          { signal },
        );
        return res.hits.hits.map((h) => silenceOf(h._id!, h._source!));
      });
    },
  };
}
