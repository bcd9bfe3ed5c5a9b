/**
 * The SearchPort over our Elasticsearch/OpenSearch client. Every request honours the caller's
 * AbortSignal. Deep pages go through a point in time; on a server without one (Elasticsearch
 * before 7.10 or without x-pack, OpenSearch before 2.4) through a scroll, behind the same calls.
 */
import { EsalertError } from '../errors/esalert-error.ts';
import type { EsQuery } from './filters.ts';
import { type EsClient as Client, errors, summarizeEsError, toEsError } from './es-client.ts';
import { closeScroll, SCROLL_ID_PREFIX, searchByScroll } from './scroll-paging.ts';
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

/** The answer of a server that has no such API (the point in time of an OSS or older distribution). */
function isMissingEndpoint(err: unknown): boolean {
  if (!(err instanceof errors.ResponseError)) return false;
  const status = err.meta.statusCode;
  if (status === 405) return true;
  if (status !== 400 && status !== 404) return false;
  // a 404 with an error object is about the request (a missing index), not the endpoint
  const error = (err.body as { error?: unknown } | undefined)?.error;
  return /no handler found/i.test(JSON.stringify(err.body ?? '')) || typeof error !== 'object';
}

export function createEsSearchPort(client: Client, options: EsSearchPortOptions = {}): SearchPort {
  const note = options.onRequest ?? (() => {});
  // Decided by the server's version, and switched on when the server turns out to have no PIT API.
  let scroll = client.dialect.paging === 'scroll';
  return {
    async search(req: SearchRequest, signal?: AbortSignal): Promise<SearchResponse> {
      note('search');
      if (req.pit?.id.startsWith(SCROLL_ID_PREFIX)) return searchByScroll(client, req, signal);
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
            ...(h._type !== undefined ? { _type: h._type } : {}),
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
      if (scroll) return SCROLL_ID_PREFIX;
      note('pit');
      try {
        const res = await client.openPointInTime(
          { index, keep_alive: keepAlive, ignore_unavailable: true },
          { signal },
        );
        return res.id;
      } catch (err) {
        if (!isMissingEndpoint(err)) throw toEsError(err, 'opening a point in time failed');
        scroll = true;
        return SCROLL_ID_PREFIX;
      }
    },

    async closePointInTime(id: string): Promise<void> {
      if (id.startsWith(SCROLL_ID_PREFIX)) return closeScroll(client, id);
      note('pit');
      try {
        await client.closePointInTime({ id });
      } catch {
        // It expires by itself (keep_alive); nothing to do.
      }
    },
  };
}
