/** The SearchPort over the official Elasticsearch client. Every request honours the caller's AbortSignal. */
import type { Client } from '@elastic/elasticsearch';
import { EsalertError } from '../errors/esalert-error.ts';
import type { EsQuery } from './filters.ts';
import { summarizeEsError, toEsError } from './es-client.ts';
import type { SearchPort, SearchRequest, SearchResponse } from './search-port.ts';

export interface EsSearchPortOptions {
  /** Called for every request sent (metrics: ES requests per rule per run). */
  onRequest?: (kind: 'search' | 'count' | 'pit') => void;
}

type ShardInfo = { failures?: { reason?: unknown }[] };

function checkShards(shards: ShardInfo | undefined, what: string): void {
  const failures = shards?.failures;
  if (!failures?.length) return;
  // A partial result would be taken for "fewer events": treat it as a failed query, so the window is retried.
  const reason = failures
    .map((f) => summarizeEsError({ error: f.reason }) ?? JSON.stringify(f.reason))
    .slice(0, 3)
    .join('; ');
  throw new EsalertError('ES_QUERY_FAILED', `${what}: ${failures.length} shard(s) failed: ${reason}`, {
    retryable: true,
  });
}

export function createEsSearchPort(client: Client, options: EsSearchPortOptions = {}): SearchPort {
  const note = options.onRequest ?? (() => {});
  return {
    async search(req: SearchRequest, signal?: AbortSignal): Promise<SearchResponse> {
      note('search');
      try {
        const res = await client.search(
          {
            ...(req.pit
              ? { pit: { id: req.pit.id, keep_alive: req.pit.keepAlive } }
              : { index: req.index, ignore_unavailable: true, allow_no_indices: true }),
            query: req.query,
            size: req.size,
            ...(req.sort ? { sort: req.sort as never } : {}),
            ...(req.searchAfter ? { search_after: req.searchAfter as never } : {}),
            ...(req.sourceIncludes ? { _source_includes: req.sourceIncludes } : {}),
            ...(req.aggs ? { aggs: req.aggs as never } : {}),
            track_total_hits: req.trackTotalHits ?? false,
          },
          { signal },
        );
        checkShards(res._shards as ShardInfo, 'search');
        const total = res.hits.total;
        return {
          hits: res.hits.hits.map((h) => ({
            _id: h._id!,
            _index: h._index,
            ...(h._source !== undefined ? { _source: h._source as Record<string, unknown> } : {}),
            ...(h.fields ? { fields: h.fields } : {}),
            ...(h.sort ? { sort: h.sort as unknown[] } : {}),
          })),
          ...(total !== undefined ? { total: typeof total === 'number' ? total : total.value } : {}),
          ...(res.aggregations ? { aggregations: res.aggregations as Record<string, unknown> } : {}),
          ...(res.pit_id ? { pitId: res.pit_id } : {}),
        };
      } catch (err) {
        throw toEsError(err, 'search failed');
      }
    },

    async count(index: string, query: EsQuery, signal?: AbortSignal): Promise<number> {
      note('count');
      try {
        const res = await client.count(
          { index, query, ignore_unavailable: true, allow_no_indices: true },
          { signal },
        );
        checkShards(res._shards as ShardInfo, 'count');
        return res.count;
      } catch (err) {
        throw toEsError(err, 'count failed');
      }
    },

    async openPointInTime(index: string, keepAlive: string, signal?: AbortSignal): Promise<string> {
      note('pit');
      try {
        const res = await client.openPointInTime(
          { index, keep_alive: keepAlive, ignore_unavailable: true },
          { signal },
        );
        return res.id;
      } catch (err) {
        throw toEsError(err, 'opening a point in time failed');
      }
    },

    async closePointInTime(id: string): Promise<void> {
      note('pit');
      try {
        await client.closePointInTime({ id });
      } catch {
        // It expires by itself (keep_alive); nothing to do.
      }
    },
  };
}
