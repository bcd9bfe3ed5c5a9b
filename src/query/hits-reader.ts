/**
 * Reading the hits of one query window page by page: a first page sorted by timestamp, and when
 * it is full, further pages through a point in time with search_after (Elasticsearch's
 * recommended deep paging), at most `maxPages` pages. Each page is handed on as it arrives, so
 * memory stays bounded by the page size whatever the window holds.
 */
import { EsalertError } from '../errors/esalert-error.ts';
import type { Hit } from '../model/match.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import type { EsQuery } from './filters.ts';
import type { SearchHit, SearchPort } from './search-port.ts';
import type { TimestampCodec } from './timestamps.ts';

export interface HitsQuery {
  index: string;
  query: EsQuery;
  timestampField: string;
  pageSize: number;
  /** Pages per query window; 0 means no limit (ElastAlert 2's max_scrolling_count). */
  maxPages: number;
  sourceIncludes: string[] | undefined;
  keepAlive: string;
}

export interface ReadResult {
  pages: number;
  hits: number;
  /** Matching documents in the window, as the first page reported. */
  total: number | undefined;
  /** True when maxPages stopped the reading before the window was exhausted. */
  truncated: boolean;
}

export async function readHits(
  port: SearchPort,
  q: HitsQuery,
  onPage: (hits: SearchHit[]) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<ReadResult> {
  const sort = [{ [q.timestampField]: { order: 'asc' as const } }];
  const first = await port.search(
    {
      index: q.index,
      query: q.query,
      size: q.pageSize,
      sort,
      sourceIncludes: q.sourceIncludes,
      trackTotalHits: true,
    },
    signal,
  );
  await onPage(first.hits);
  let pages = 1;
  let hits = first.hits.length;
  const morePossible = (n: number) => n >= q.pageSize;
  if (!morePossible(first.hits.length)) return { pages, hits, total: first.total, truncated: false };
  if (q.maxPages > 0 && pages >= q.maxPages) return { pages, hits, total: first.total, truncated: true };
  if (!port.openPointInTime) {
    throw new EsalertError(
      'ES_QUERY_FAILED',
      'more hits than max_query_size and the backend cannot page through them',
    );
  }
  let pitId = await port.openPointInTime(q.index, q.keepAlive, signal);
  try {
    // Ties on the timestamp are broken by _shard_doc inside the point in time. The first page had
    // no tiebreaker, so continue from its last timestamp with the lowest tiebreaker: documents at
    // that exact time come again and are dropped by the engine's _id de-duplication.
    let after: unknown[] = [first.hits.at(-1)!.sort?.[0], -1];
    let truncated = false;
    for (;;) {
      const page = await port.search(
        {
          index: q.index,
          query: q.query,
          size: q.pageSize,
          sort: [...sort, { _shard_doc: { order: 'asc' } }],
          searchAfter: after,
          sourceIncludes: q.sourceIncludes,
          pit: { id: pitId, keepAlive: q.keepAlive },
        },
        signal,
      );
      if (page.pitId) pitId = page.pitId;
      pages++;
      hits += page.hits.length;
      await onPage(page.hits);
      if (!morePossible(page.hits.length)) break;
      if (q.maxPages > 0 && pages >= q.maxPages) {
        truncated = true;
        break;
      }
      after = page.hits.at(-1)!.sort!;
    }
    return { pages, hits, total: first.total, truncated };
  } finally {
    await port.closePointInTime?.(pitId);
  }
}

export interface HitProcessing {
  timestampField: string;
  codec: TimestampCodec;
  /** Compound query key: the joined value is stored under the key's name ("a,b"). */
  compoundQueryKey?: { name: string; fields: string[] };
  compoundAggregationKey?: { name: string; fields: string[] };
}

/**
 * ElastAlert 2's process_hits: fold `fields` into _source (single values unwrapped), read the
 * timestamp, copy _id, _index (and on 7.x _type) into the document, and compute compound keys ("v1, v2").
 */
export function toRuleHits(hits: readonly SearchHit[], p: HitProcessing): Hit[] {
  const out: Hit[] = [];
  for (const h of hits) {
    const doc: Doc = h._source ?? {};
    for (const [k, v] of Object.entries(h.fields ?? {})) {
      if (!(k in doc)) doc[k] = Array.isArray(v) && v.length === 1 ? v[0] : v;
    }
    const raw = lookupField(doc, p.timestampField);
    const ts = p.codec.read(raw);
    if (ts === undefined) {
      throw new EsalertError(
        'DATA_INVALID',
        raw === undefined
          ? `the timestamp_field "${p.timestampField}" is not in document ${h._id}; available fields: ${Object.keys(doc).join(', ')}`
          : `cannot read the timestamp "${String(raw)}" of document ${h._id} (check timestamp_type and timestamp_format)`,
      );
    }
    doc._id = h._id;
    doc._index = h._index;
    // as ElastAlert 2 does: on Elasticsearch 7.x a hit names its type ("_doc"), and matches carry it
    if (h._type !== undefined) doc._type = h._type;
    for (const compound of [p.compoundQueryKey, p.compoundAggregationKey]) {
      if (compound)
        doc[compound.name] = compound.fields.map((f) => pythonStr(lookupField(doc, f))).join(', ');
    }
    out.push({ doc, ts });
  }
  return out;
}
