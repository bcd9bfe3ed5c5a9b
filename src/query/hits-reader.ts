/**
 * Reading the hits of one query window page by page: a first page sorted by timestamp, and when
 * it is full, further pages through a point in time with search_after (Elasticsearch's
 * recommended deep paging), at most `maxPages` pages. Each page is handed on as it arrives, so
 * memory stays bounded by the page size whatever the window holds.
 */
import { EsalertError } from '../errors/esalert-error.ts';
import type { Hit } from '../model/match.ts';
import { type Doc, lookupField, pythonStr, setField } from '../model/lookup.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
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
  /**
   * _ids Elasticsearch leaves out of the hits (documents already processed): a post_filter, so
   * that the first page can still count how many of them the query matches (an aggregation runs
   * on the query's matches before the post_filter: their count minus the hits' total).
   */
  exclude?: readonly string[];
}

export interface ReadResult {
  pages: number;
  hits: number;
  /** Matching documents in the window, as the first page reported. */
  total: number | undefined;
  /** True when maxPages stopped the reading before the window was exhausted. */
  truncated: boolean;
  /** How many of the excluded documents the query matches (left out of `hits` and the pages). */
  excluded: number;
}

/**
 * The query's matches before the post_filter. A match_all filter aggregation costs Elasticsearch
 * next to nothing, where one on the excluded _ids looks every _id up again in every segment.
 */
const MATCHED_AGG = 'esalert_matched';

export async function readHits(
  port: SearchPort,
  q: HitsQuery,
  onPage: (hits: SearchHit[]) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<ReadResult> {
  const sort = [{ [q.timestampField]: { order: 'asc' as const } }];
  const exclude = q.exclude?.length ? { ids: { values: [...q.exclude] } } : undefined;
  const postFilter = exclude ? { bool: { must_not: [exclude] } } : undefined;
  const first = await port.search(
    {
      index: q.index,
      query: q.query,
      size: q.pageSize,
      sort,
      sourceIncludes: q.sourceIncludes,
      trackTotalHits: true,
      ...(exclude ? { postFilter, aggs: { [MATCHED_AGG]: { filter: { match_all: {} } } } } : {}),
    },
    signal,
  );
  const matched = (first.aggregations?.[MATCHED_AGG] as { doc_count?: number } | undefined)?.doc_count;
  // the total is exact (track_total_hits) and counts the hits after the post_filter
  const excluded =
    exclude && matched !== undefined && first.total !== undefined ? Math.max(0, matched - first.total) : 0;
  await onPage(first.hits);
  let pages = 1;
  let hits = first.hits.length;
  const morePossible = (n: number) => n >= q.pageSize;
  if (!morePossible(first.hits.length))
    return { pages, hits, total: first.total, truncated: false, excluded };
  if (q.maxPages > 0 && pages >= q.maxPages)
    return { pages, hits, total: first.total, truncated: true, excluded };
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
          ...(postFilter ? { postFilter } : {}),
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
    return { pages, hits, total: first.total, truncated, excluded };
  } finally {
    await port.closePointInTime?.(pitId);
  }
}

/** A timestamp value for a message: short text quoted, anything else by its kind. */
function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`;
}

export interface HitProcessing {
  timestampField: string;
  codec: TimestampCodec;
  /** Compound query key: the joined value is stored under the key's name ("a,b"). */
  compoundQueryKey?: { name: string; fields: string[] };
  compoundAggregationKey?: { name: string; fields: string[] };
}

/** A document whose timestamp cannot be read: which one, and why. */
export interface UnreadableTimestamp {
  id: string;
  index: string | undefined;
  problem: string;
}

/**
 * ElastAlert 2's process_hits: fold `fields` into _source (single values unwrapped), read the
 * timestamp, copy _id, _index (and on 7.x _type) into the document, and compute compound keys ("v1, v2").
 * A document whose timestamp cannot be read is skipped and reported to `onUnreadable` (one bad
 * document does not stop the rule); without it, it is an error, as before.
 */
export function toRuleHits(
  hits: readonly SearchHit[],
  p: HitProcessing,
  onUnreadable?: (skipped: UnreadableTimestamp) => void,
): Hit[] {
  const out: Hit[] = [];
  for (const h of hits) {
    const doc: Doc = h._source ?? {};
    for (const [k, v] of Object.entries(h.fields ?? {})) {
      if (!(k in doc)) doc[k] = Array.isArray(v) && v.length === 1 ? v[0] : v;
    }
    const raw = lookupField(doc, p.timestampField);
    const ts = p.codec.read(raw);
    if (ts === undefined) {
      const problem =
        raw === undefined
          ? `the timestamp_field "${p.timestampField}" is not in document ${h._id}; available fields: ${Object.keys(doc).slice(0, 20).join(', ')}`
          : `cannot read the timestamp ${describeValue(raw)} of document ${h._id} (check timestamp_type and timestamp_format)`;
      if (!onUnreadable) throw new EsalertError('DATA_INVALID', problem);
      onUnreadable({ id: h._id, index: h._index, problem });
      continue;
    }
    // what the rule types, alert texts and aggregation read as the match time: a value written
    // otherwise than ISO 8601 (epoch milliseconds, a custom format) is put there as ISO 8601
    if (parseTimestamp(raw) !== ts) setField(doc, p.timestampField, toIso(ts));
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
