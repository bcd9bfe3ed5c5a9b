/**
 * Reading one segment of a run's window in the rule's query mode, and giving the rule type what
 * came back: hits page by page (each _id once across overlapping windows), a count, term
 * buckets, or the rule type's aggregation. Many count/terms segments may be read in one request.
 */
import type { Logger } from 'pino';
import type { TermsBucket } from '../model/match.ts';
import { type HitProcessing, readHits, toRuleHits, type UnreadableTimestamp } from '../query/hits-reader.ts';
import type { SearchPort } from '../query/search-port.ts';
import { toIso } from '../util/time.ts';
import type { QueryMode } from './query-mode.ts';
import type { SegmentReport } from './run-report.ts';
import type { RuntimeRule } from './runtime-rule.ts';
import {
  aggregationQueryBody,
  batchedSegmentResults,
  batchedSegmentsAggregation,
  segmentQuery,
  termsAggregation,
  termsBuckets,
} from './segment-queries.ts';

export interface SegmentRead {
  port: SearchPort;
  logger: Logger;
  signal: AbortSignal | undefined;
  /** How the rule's hits become documents (hitProcessing), worked out once per run. */
  processing: HitProcessing;
}

type ModeOf<K extends QueryMode['kind']> = Extract<QueryMode, { kind: K }>;

function emptyReport(
  start: number,
  end: number,
  index: string,
  query: SegmentReport['query'],
): SegmentReport {
  return {
    start: toIso(start),
    end: toIso(end),
    index,
    query,
    hits: 0,
    duplicates: 0,
    pages: 0,
    truncated: false,
  };
}

/** A segment of a hits, count or terms rule. */
export async function readSegment(
  rt: RuntimeRule,
  mode: ModeOf<'hits' | 'count' | 'terms'>,
  start: number,
  end: number,
  r: SegmentRead,
): Promise<SegmentReport> {
  const o = rt.rule.options;
  const { index, query } = segmentQuery(o, rt.codec, start, end);
  const report = emptyReport(start, end, index, query);
  switch (mode.kind) {
    case 'count': {
      const count = await r.port.count(index, query, r.signal);
      report.hits = count;
      report.pages = 1;
      mode.addCountData(end, count);
      return report;
    }
    case 'terms': {
      const res = await r.port.search(
        { index, query, size: 0, aggs: termsAggregation(o, mode.field) },
        r.signal,
      );
      report.pages = 1;
      const buckets = termsBuckets(res.aggregations);
      if (buckets) {
        report.hits = buckets.length;
        mode.addTermsData(end, buckets);
      }
      return report;
    }
    case 'hits':
      return readHitsSegment(rt, index, query, start, end, report, r);
  }
}

/** How the rule's hits become documents: the same for the hits of a run and for completing its matches. */
export function hitProcessing(rt: RuntimeRule): HitProcessing {
  const o = rt.rule.options;
  return {
    timestampField: o.timestampField,
    codec: rt.codec,
    ...(o.compoundQueryKey && o.queryKey
      ? { compoundQueryKey: { name: o.queryKey, fields: o.compoundQueryKey } }
      : {}),
    ...(o.compoundAggregationKey && o.aggregationKey
      ? { compoundAggregationKey: { name: o.aggregationKey, fields: o.compoundAggregationKey } }
      : {}),
  };
}

/** Documents with an unreadable timestamp logged one by one per segment; the rest are counted. */
const MAX_UNREADABLE_WARNINGS = 3;

/**
 * At most this many already-processed _ids are left out of a window's hits by Elasticsearch (a
 * post_filter, about 25 bytes an _id in the request); any others in the window come back and are
 * dropped by the _id check below.
 */
export const MAX_EXCLUDED_IDS = 1000;

/**
 * How far outside the window a processed document may still be inside it for Elasticsearch:
 * bounds written without milliseconds are rounded up to the end of their second.
 */
const EDGE_MS = 1000;

/**
 * The _ids of documents a previous run already processed whose timestamp is inside (start, end]:
 * the documents the overlap of buffer_time would bring back. Oldest first, at most `max`.
 */
export function processedInWindow(
  seen: ReadonlyMap<string, number>,
  start: number,
  end: number,
  max = MAX_EXCLUDED_IDS,
): string[] {
  const ids: string[] = [];
  for (const [id, ts] of seen) {
    if (ts > start && ts <= end) {
      ids.push(id);
      if (ids.length >= max) break;
    }
  }
  return ids;
}

async function readHitsSegment(
  rt: RuntimeRule,
  index: string,
  query: SegmentReport['query'],
  start: number,
  end: number,
  report: SegmentReport,
  r: SegmentRead,
): Promise<SegmentReport> {
  const o = rt.rule.options;
  const { processing } = r;
  const seen = rt.state.processedHits;
  // Each run reads its whole buffer_time again (ElastAlert 2's overlap, for late documents), so
  // most of a window was processed by earlier runs. Elasticsearch leaves those documents out of
  // the hits (it neither fetches nor sends them) and counts how many of them match, and they are
  // counted as hits already seen, as if they had come back and been dropped.
  const read = await readHits(
    r.port,
    {
      index,
      query,
      exclude: processedInWindow(seen, start - EDGE_MS, end + EDGE_MS),
      timestampField: o.timestampField,
      pageSize: o.maxQuerySize,
      maxPages: o.maxScrollingCount,
      sourceIncludes: o.include ?? rt.rule.hitFields,
      keepAlive: o.scrollKeepalive,
    },
    (page) => {
      report.hits += page.length;
      // a document whose timestamp cannot be read is skipped, not the whole segment
      const onUnreadable = (skipped: UnreadableTimestamp) => {
        report.unreadable = (report.unreadable ?? 0) + 1;
        if (report.unreadable <= MAX_UNREADABLE_WARNINGS)
          r.logger.warn(
            { id: skipped.id, index: skipped.index },
            `skipped a document whose timestamp cannot be read: ${skipped.problem}`,
          );
      };
      const fresh = toRuleHits(page, processing, onUnreadable).filter((h) => {
        const id = h.doc._id as string;
        if (seen.has(id)) {
          report.duplicates++;
          return false;
        }
        seen.set(id, h.ts);
        return true;
      });
      // hits Elasticsearch cannot leave out without a script (k8s_skip_resync); see CompiledRule.hitFilter
      const { hitFilter } = rt.rule;
      const kept = hitFilter ? fresh.filter((h) => hitFilter(h.doc)) : fresh;
      if (kept.length > 0) rt.ruleType.addData(kept);
    },
    r.signal,
  );
  report.pages = read.pages;
  report.truncated = read.truncated;
  report.hits += read.excluded;
  report.duplicates += read.excluded;
  if ((report.unreadable ?? 0) > MAX_UNREADABLE_WARNINGS) {
    r.logger.warn(
      { window: [report.start, report.end], skipped: report.unreadable },
      `skipped ${report.unreadable} documents whose timestamp cannot be read (the first ${MAX_UNREADABLE_WARNINGS} are logged)`,
    );
  }
  if (read.truncated) {
    r.logger.warn(
      { window: [report.start, report.end], total: read.total, read: read.hits },
      `stopped after max_scrolling_count (${o.maxScrollingCount}) pages of max_query_size (${o.maxQuerySize}) hits; the rest of this window is not evaluated`,
    );
  }
  return report;
}

/** A segment of an aggregation rule type: ElastAlert 2's aggregation query. */
export async function readAggregationSegment(
  rt: RuntimeRule,
  mode: ModeOf<'aggregation'>,
  start: number,
  end: number,
  offsetSeconds: number | undefined,
  r: SegmentRead,
): Promise<SegmentReport> {
  const o = rt.rule.options;
  const { index, query } = segmentQuery(o, rt.codec, start, end);
  const res = await r.port.search(
    { index, query, size: 0, trackTotalHits: true, aggs: aggregationQueryBody(mode.spec, o, offsetSeconds) },
    r.signal,
  );
  if (res.aggregations) mode.addAggregationData(end, res.aggregations);
  return { ...emptyReport(start, end, index, query), hits: res.total ?? 0, pages: 1 };
}

/**
 * Many count/terms segments in one search (a backfill, a catch-up). The rule type is given each
 * segment's data as the caller commits it, so that garbage collection keeps its order.
 */
export async function readBatchedSegments(
  rt: RuntimeRule,
  mode: ModeOf<'count' | 'terms'>,
  segments: readonly [number, number][],
  r: SegmentRead,
): Promise<{ to: number; report: SegmentReport; feed(): void }[]> {
  const o = rt.rule.options;
  const first = segments[0]![0];
  const last = segments.at(-1)![1];
  const { index, query } = segmentQuery(o, rt.codec, first, last);
  const terms = mode.kind === 'terms';
  const res = await r.port.search(
    {
      index,
      query,
      size: 0,
      aggs: batchedSegmentsAggregation(o, segments, terms ? mode.field : undefined),
    },
    r.signal,
  );
  const results = batchedSegmentResults(res.aggregations, segments.length, terms);
  return segments.map(([from, to], i) => {
    const { count, buckets } = results[i]!;
    return {
      to,
      report: {
        ...emptyReport(from, to, index, i === 0 ? query : {}),
        hits: buckets ? buckets.length : count,
        pages: i === 0 ? 1 : 0,
      },
      feed: () => feedBatched(mode, to, count, buckets),
    };
  });
}

function feedBatched(
  mode: ModeOf<'count' | 'terms'>,
  to: number,
  count: number,
  buckets: TermsBucket[] | undefined,
): void {
  if (mode.kind === 'count') mode.addCountData(to, count);
  else if (buckets) mode.addTermsData(to, buckets);
}
