/**
 * Deep paging through the scroll API, for servers without a point in time. The hits reader asks for
 * a point in time and then for the pages after its first one; here the "point in time" is a scroll
 * (its id prefixed with SCROLL_ID_PREFIX), and the page after the first is the scroll's second page
 * (its first repeats the page the reader already has: same query, sort and size).
 */
import type { Doc } from '../model/lookup.ts';
import type { EsClient } from './es-api.ts';
import { toEsError } from './es-client.ts';
import type { SearchRequest, SearchResponse } from './search-port.ts';

export const SCROLL_ID_PREFIX = 'scroll:';

const isTiebreaker = (s: unknown) => typeof s === 'object' && s !== null && '_shard_doc' in s;

function toResponse(
  res: Awaited<ReturnType<EsClient['scroll']>>,
  scrollId: string | undefined,
): SearchResponse {
  return {
    hits: res.hits.hits.map((h) => ({
      _id: h._id,
      _index: h._index,
      ...(h._type !== undefined ? { _type: h._type } : {}),
      ...(h._source != null ? { _source: h._source as Doc } : {}),
      ...(h.fields ? { fields: h.fields } : {}),
      ...(h.sort ? { sort: h.sort } : {}),
    })),
    ...(scrollId ? { pitId: `${SCROLL_ID_PREFIX}${scrollId}` } : {}),
  };
}

export async function searchByScroll(
  client: EsClient,
  req: SearchRequest,
  signal?: AbortSignal,
): Promise<SearchResponse> {
  const keepAlive = req.pit!.keepAlive;
  const current = req.pit!.id.slice(SCROLL_ID_PREFIX.length);
  try {
    let scrollId = current;
    if (!scrollId) {
      const first = await client.search(
        {
          index: req.index,
          ignore_unavailable: true,
          allow_no_indices: true,
          scroll: keepAlive,
          query: req.query,
          ...(req.postFilter ? { post_filter: req.postFilter } : {}),
          size: req.size,
          ...(req.sort ? { sort: req.sort.filter((s) => !isTiebreaker(s)) } : {}),
          ...(req.sourceIncludes ? { _source_includes: req.sourceIncludes } : {}),
        },
        { signal },
      );
      if (!first._scroll_id || first.hits.hits.length < req.size)
        return toResponse({ hits: { hits: [] } }, first._scroll_id);
      scrollId = first._scroll_id;
    }
    const res = await client.scroll({ scroll_id: scrollId, scroll: keepAlive }, { signal });
    return toResponse(res, res._scroll_id ?? scrollId);
  } catch (err) {
    throw toEsError(err, 'scrolling failed');
  }
}

export async function closeScroll(client: EsClient, id: string): Promise<void> {
  const scrollId = id.slice(SCROLL_ID_PREFIX.length);
  if (!scrollId) return;
  await client.clearScroll({ scroll_id: scrollId }).catch(() => {
    // It expires by itself (keep_alive).
  });
}
