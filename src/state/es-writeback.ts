/** The writeback store in Elasticsearch, with ElastAlert 2's index names and mappings. */
import { EsalertError } from '../errors/esalert-error.ts';
import { type EsClient as Client, errors as esErrors, toEsError } from '../query/es-client.ts';
import type { Doc } from '../model/lookup.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
import type { SearchResult } from '../query/es-api.ts';
import type { MsearchCoalescer } from '../query/msearch-coalescer.ts';
import { type BulkWrite, bulkItemReason, createBulkWriter } from './bulk-writer.ts';
import {
  type AlertDoc,
  type SilenceEntry,
  type StatusDoc,
  type StoredAlert,
  type WritebackKind,
  type WritebackStore,
  writebackIndex,
} from './writeback.ts';

const date = { type: 'date', format: 'date_optional_time' };

/** Mappings as ElastAlert 2 creates them (es_mappings/8). */
export const WRITEBACK_MAPPINGS: Record<WritebackKind, Doc> = {
  alert: {
    numeric_detection: true,
    date_detection: false,
    dynamic_templates: [
      {
        strings_as_keyword: {
          mapping: { ignore_above: 1024, type: 'keyword' },
          match_mapping_type: 'string',
        },
      },
    ],
    properties: {
      rule_name: { type: 'keyword' },
      '@timestamp': date,
      alert_time: date,
      match_time: date,
      match_body: { enabled: false, type: 'object' },
      aggregate_id: { type: 'keyword' },
    },
  },
  status: { properties: { rule_name: { type: 'keyword' }, '@timestamp': date } },
  silence: { properties: { rule_name: { type: 'keyword' }, until: date, '@timestamp': date } },
  error: { properties: { data: { type: 'object', enabled: false }, '@timestamp': date } },
  state: {
    dynamic: false,
    properties: {
      rule_name: { type: 'keyword' },
      fingerprint: { type: 'keyword' },
      state: { type: 'object', enabled: false },
      '@timestamp': date,
    },
  },
  past: {
    properties: {
      rule_name: { type: 'keyword' },
      match_body: { type: 'object', enabled: false },
      '@timestamp': date,
      aggregate_id: { type: 'keyword' },
    },
  },
};

/** Every writeback index, by kind. */
export const WRITEBACK_KINDS: WritebackKind[] = ['alert', 'status', 'silence', 'error', 'past', 'state'];

export interface EsWritebackOptions {
  /** Make writes visible to searches at once (tests, and the silence/pending lookups that follow). */
  refresh?: boolean | 'wait_for';
  onRequest?: () => void;
  /** How long a write waits for others to share its `_bulk` request (ms; default 0, see bulk-writer.ts). */
  bulkLingerMs?: number;
  /** The connection's search coalescer: the run-time lookups share `_msearch` requests with the rules' searches. */
  coalescer?: MsearchCoalescer;
}

function isMissingIndex(err: unknown): boolean {
  return err instanceof esErrors.ResponseError && err.meta.statusCode === 404;
}

export function createEsWriteback(
  client: Client,
  base: string,
  options: EsWritebackOptions = {},
): WritebackStore {
  const idx = (k: WritebackKind) => writebackIndex(base, k);
  const refresh = options.refresh ?? false;
  const note = options.onRequest ?? (() => {});
  const wrap = async <T>(what: string, fn: () => Promise<T>, counted = false): Promise<T> => {
    if (!counted) note();
    try {
      return await fn();
    } catch (err) {
      const e = toEsError(err, `writeback: ${what}`);
      // only a request Elasticsearch refuses for good (HTTP 4xx: a document it cannot index) is
      // permanent; unreachable, overloaded or unauthorized may pass
      const permanent = e.code === 'ES_QUERY_FAILED' && !e.retryable;
      throw new EsalertError('WRITEBACK_FAILED', e.message, { cause: err, retryable: !permanent });
    }
  };
  // run status, alerts, silences, errors and rule state go out in shared _bulk requests
  const bulk = createBulkWriter(client, {
    refresh,
    ...(options.bulkLingerMs !== undefined ? { lingerMs: options.bulkLingerMs } : {}),
    onRequest: note,
  });
  /** A search of one writeback index (missing: no hits), batched with others when a coalescer is given. */
  const find = <T>(
    index: string,
    body: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<SearchResult<T>> =>
    options.coalescer
      ? options.coalescer.search<T>({ header: { index, ignore_unavailable: true }, body }, signal)
      : client.search<T>({ index, ignore_unavailable: true, ...body }, { signal });
  /** One document through the shared _bulk (which counts its requests); a failed item throws. */
  const write = (what: string, op: BulkWrite, signal: AbortSignal | undefined, ok = [200, 201]) =>
    wrap(
      what,
      async () => {
        const r = await bulk.write(op, signal);
        if (ok.includes(r.status)) return r.status;
        throw new Error(`${op.index}: HTTP ${r.status}, ${bulkItemReason(r.error)}`);
      },
      true,
    );
  const searchAlerts = async (
    query: Doc,
    sort: Doc[],
    size: number,
    signal: AbortSignal | undefined,
  ): Promise<StoredAlert[]> =>
    wrap('searching alerts', async () => {
      try {
        const res = await find<AlertDoc>(idx('alert'), { query, sort, size }, signal);
        return res.hits.hits.map((h) => ({ id: h._id!, doc: h._source! }));
      } catch (err) {
        if (isMissingIndex(err)) return [];
        throw err;
      }
    });

  return {
    async ensureIndices(signal) {
      for (const kind of WRITEBACK_KINDS) {
        await wrap(`creating ${idx(kind)}`, async () => {
          if (await client.indices.exists({ index: idx(kind) }, { signal })) return;
          try {
            await client.indices.create(
              { index: idx(kind), mappings: WRITEBACK_MAPPINGS[kind] as never },
              { signal },
            );
          } catch (err) {
            if (!(
              err instanceof esErrors.ResponseError &&
              err.body &&
              JSON.stringify(err.body).includes('resource_already_exists')
            ))
              throw err;
          }
        });
      }
    },

    async lastStatus(ruleName, signal) {
      return wrap('reading the last run', async () => {
        try {
          const res = await find<StatusDoc>(
            idx('status'),
            {
              query: { bool: { filter: { term: { rule_name: ruleName } } } },
              sort: [{ '@timestamp': { order: 'desc' } }],
              size: 1,
            },
            signal,
          );
          return res.hits.hits[0]?._source;
        } catch (err) {
          if (isMissingIndex(err)) return undefined;
          throw err;
        }
      });
    },

    async writeStatus(doc, signal) {
      await write('writing run status', { action: 'index', index: idx('status'), doc }, signal);
    },

    async silence(key, signal) {
      return wrap('reading silences', async () => {
        try {
          const res = await find<{ until: string; exponent?: number }>(
            idx('silence'),
            {
              query: { term: { rule_name: key } },
              sort: [{ until: { order: 'desc' } }],
              size: 1,
              _source: ['until', 'exponent'],
            },
            signal,
          );
          const s = res.hits.hits[0]?._source;
          if (!s) return undefined;
          const until = parseTimestamp(s.until);
          return until === undefined ? undefined : { until, exponent: s.exponent ?? 0 };
        } catch (err) {
          if (isMissingIndex(err)) return undefined;
          throw err;
        }
      });
    },

    async writeSilence(key, entry: SilenceEntry, nowIso, signal) {
      await write(
        'writing a silence',
        {
          action: 'index',
          index: idx('silence'),
          doc: {
            exponent: entry.exponent,
            rule_name: key,
            '@timestamp': nowIso,
            until: toIso(entry.until),
            ...(entry.author !== undefined ? { author: entry.author } : {}),
            ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
          },
        },
        signal,
      );
    },

    async listSilences(filter = {}, signal) {
      return wrap('listing silences', async () => {
        const keys = [
          ...(filter.key !== undefined ? [{ term: { rule_name: filter.key } }] : []),
          ...(filter.prefix !== undefined ? [{ prefix: { rule_name: filter.prefix } }] : []),
        ];
        const must = [
          ...(keys.length ? [{ bool: { should: keys, minimum_should_match: 1 } }] : []),
          ...(filter.activeAt !== undefined ? [{ range: { until: { gt: toIso(filter.activeAt) } } }] : []),
        ];
        try {
          const res = await client.search<{ rule_name: string; until: string; exponent?: number }>(
            {
              index: idx('silence'),
              query: must.length ? { bool: { filter: must } } : { match_all: {} },
              sort: [{ until: { order: 'desc' } }],
              size: 1000,
              ignore_unavailable: true,
            },
            { signal },
          );
          return res.hits.hits.map((h) => ({
            id: h._id!,
            key: h._source!.rule_name,
            until: h._source!.until,
            exponent: h._source!.exponent ?? 0,
          }));
        } catch (err) {
          if (isMissingIndex(err)) return [];
          throw err;
        }
      });
    },

    async deleteSilence(id, signal) {
      return wrap('deleting a silence', async () => {
        try {
          await client.delete({ index: idx('silence'), id, refresh: true }, { signal });
          return true;
        } catch (err) {
          if (isMissingIndex(err)) return false;
          throw err;
        }
      });
    },

    async writeError(message, data, nowIso, traceback, signal) {
      await write(
        'writing an error',
        {
          action: 'index',
          index: idx('error'),
          doc: { message, traceback: traceback ?? [], ...(data ? { data } : {}), '@timestamp': nowIso },
        },
        signal,
      );
    },

    async createAlert(id, doc, signal) {
      // created, or 409: written before (a replayed window)
      const status = await write(
        'writing an alert',
        { action: 'create', index: idx('alert'), id, doc },
        signal,
        [200, 201, 409],
      );
      return status === 409 ? ('exists' as const) : ('created' as const);
    },

    async updateAlert(id, patch, signal) {
      await write('updating an alert', { action: 'update', index: idx('alert'), id, doc: patch }, signal);
    },

    async getAlert(id, signal) {
      return wrap('reading an alert', async () => {
        try {
          return (await client.get<AlertDoc>({ index: idx('alert'), id }, { signal }))._source;
        } catch (err) {
          if (isMissingIndex(err)) return undefined;
          throw err;
        }
      });
    },

    async pendingAlerts(fromIso, toIso, limit, signal) {
      return searchAlerts(
        {
          bool: {
            filter: [
              { term: { alert_sent: false } },
              { range: { alert_time: { gte: fromIso, lte: toIso } } },
            ],
            must_not: [{ exists: { field: 'aggregate_id' } }],
          },
        },
        [{ alert_time: { order: 'asc' } }],
        limit,
        signal,
      );
    },

    async aggregateMembers(id, limit, signal) {
      return searchAlerts(
        { term: { aggregate_id: id } },
        [{ '@timestamp': { order: 'asc' } }],
        limit,
        signal,
      );
    },

    async pendingAggregate(ruleName, nowIso, aggregationKey, signal) {
      const filter: Doc[] = [
        { term: { rule_name: ruleName } },
        { range: { alert_time: { gt: nowIso } } },
        { term: { alert_sent: false } },
      ];
      if (aggregationKey) filter.push({ term: { aggregation_key: aggregationKey } });
      const hits = await searchAlerts(
        { bool: { filter, must_not: [{ exists: { field: 'aggregate_id' } }] } },
        [{ alert_time: { order: 'desc' } }],
        1,
        signal,
      );
      return hits[0];
    },

    async deleteAlert(id, signal) {
      await wrap('deleting an alert', async () => {
        try {
          await client.delete({ index: idx('alert'), id, refresh }, { signal });
        } catch (err) {
          if (!isMissingIndex(err)) throw err;
        }
      });
    },

    async loadRuleState(ruleName, signal) {
      return wrap('reading rule state', async () => {
        try {
          const doc = await client.get<{ fingerprint: string; state: unknown }>(
            { index: idx('state'), id: ruleName },
            { signal },
          );
          return doc._source ? { fingerprint: doc._source.fingerprint, state: doc._source.state } : undefined;
        } catch (err) {
          if (isMissingIndex(err)) return undefined;
          throw err;
        }
      });
    },

    async saveRuleState(ruleName, fingerprint, state, signal) {
      await write(
        'saving rule state',
        {
          action: 'index',
          index: idx('state'),
          id: ruleName,
          doc: { rule_name: ruleName, fingerprint, state, '@timestamp': new Date().toISOString() },
        },
        signal,
      );
    },

    async flush(signal) {
      await bulk.settled();
      await wrap('refreshing', () =>
        client.indices.refresh(
          { index: WRITEBACK_KINDS.map(idx).join(','), ignore_unavailable: true },
          { signal },
        ),
      );
    },
  };
}
