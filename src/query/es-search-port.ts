/**
 * The SearchPort over our Elasticsearch/OpenSearch client. Every request honours the caller's
 * AbortSignal. Deep pages go through a point in time; on a server without one (Elasticsearch
 * before 7.10 or without x-pack, OpenSearch before 2.4) through a scroll, behind the same calls.
 */
import { EsalertError } from '../errors/esalert-error.ts';
import type { EsQuery } from './filters.ts';
import { type EsClient as Client, errors, summarizeEsError, toEsError } from './es-client.ts';
import { closeScroll, SCROLL_ID_PREFIX, searchByScroll } from './scroll-paging.ts';
import type { SearchResult } from './es-api.ts';
import { createMsearchCoalescer, type MsearchCoalescer } from './msearch-coalescer.ts';
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

/** Our search response from Elasticsearch's. */
function toSearchResponse(res: SearchResult): SearchResponse {
  const total = res.hits.total;
  return {
    hits: res.hits.hits.map((h) => ({
      _id: h._id,
      _index: h._index,
      ...(h._type !== undefined ? { _type: h._type } : {}),
      ...(h._source !== undefined ? { _source: h._source } : {}),
      ...(h.fields ? { fields: h.fields } : {}),
      ...(h.sort ? { sort: h.sort } : {}),
    })),
    ...(total !== undefined ? { total: typeof total === 'number' ? total : total.value } : {}),
    ...(res.aggregations ? { aggregations: res.aggregations } : {}),
    ...(res.pit_id ? { pitId: res.pit_id } : {}),
  };
}

/** Where an index search looks: missing indices are no error (as ElastAlert 2's searches). */
const indexHeader = (index: string) => ({ index, ignore_unavailable: true, allow_no_indices: true });

/** The body of a search, as `_search` and `_msearch` take it. */
function searchBody(req: SearchRequest): Record<string, unknown> {
  return {
    query: req.query,
    size: req.size,
    ...(req.sort ? { sort: req.sort } : {}),
    ...(req.searchAfter ? { search_after: req.searchAfter } : {}),
    ...(req.sourceIncludes ? { _source: req.sourceIncludes } : {}),
    ...(req.aggs ? { aggs: req.aggs } : {}),
    ...(req.postFilter ? { post_filter: req.postFilter } : {}),
    track_total_hits: req.trackTotalHits ?? false,
  };
}

/**
 * `coalescer`: the connection's (shared by every rule on it, so that the searches of rules running
 * together share `_msearch` requests); without one, the port makes its own.
 */
export function createEsSearchPort(
  client: Client,
  options: EsSearchPortOptions & { coalescer?: MsearchCoalescer } = {},
): SearchPort {
  const note = options.onRequest ?? (() => {});
  const batch = options.coalescer ?? createMsearchCoalescer(client);
  // Decided by the server's version, and switched on when the server turns out to have no PIT API.
  let scroll = client.dialect.paging === 'scroll';
  return {
    async search(req: SearchRequest, signal?: AbortSignal): Promise<SearchResponse> {
      note('search');
      if (req.pit?.id.startsWith(SCROLL_ID_PREFIX))
        return batch.solo(() => searchByScroll(client, req, signal), signal);
      try {
        // pages of a point in time go on their own; first pages, counts and aggregations are batched
        const res = req.pit
          ? await batch.solo(
              () =>
                client.search(
                  { pit: { id: req.pit!.id, keep_alive: req.pit!.keepAlive }, ...searchBody(req) },
                  { signal },
                ),
              signal,
            )
          : await batch.search({ header: indexHeader(req.index), body: searchBody(req) }, signal);
        checkShards(res._shards as ShardInfo, 'search');
        return toSearchResponse(res);
      } catch (err) {
        throw toEsError(err, 'search failed');
      }
    },

    async count(index: string, query: EsQuery, signal?: AbortSignal): Promise<number> {
      note('count');
      try {
        const res = await batch.search({ header: indexHeader(index), body: { query }, count: true }, signal);
        checkShards(res._shards as ShardInfo, 'count');
        const total = res.hits.total;
        return typeof total === 'number' ? total : (total?.value ?? 0);
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
