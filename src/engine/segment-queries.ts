/**
 * The requests of a run, pure: a segment's query (the rule's filters and the time range), the
 * terms aggregation of use_terms_query, ElastAlert 2's aggregation query for aggregation rule
 * types, and the date_range aggregation that fetches many count/terms segments in one request.
 */
import type { RuleOptions } from '../model/rule-options.ts';
import type { TermsBucket } from '../model/match.ts';
import { buildBaseQuery, type EsQuery } from '../query/filters.ts';
import { indexFor } from '../query/index-names.ts';
import type { TimestampCodec } from '../query/timestamps.ts';
import type { AggregationQuerySpec } from '../ruletypes/rule-type.ts';

/** The index expression and query of the window (start, end]. */
export function segmentQuery(
  o: RuleOptions,
  codec: TimestampCodec,
  start: number,
  end: number,
): { index: string; query: EsQuery } {
  return {
    index: indexFor(o, start, end),
    query: buildBaseQuery(o.filters, {
      field: o.timestampField,
      gt: codec.write(start),
      lte: codec.write(end),
    }),
  };
}

/** use_terms_query: the counts per value of the query key. */
export function termsAggregation(o: RuleOptions, field: string): Record<string, unknown> {
  return { counts: { terms: { field, size: o.termsSize, min_doc_count: o.minDocCount } } };
}

/** The buckets of termsAggregation in a response. */
export function termsBuckets(aggregations: Record<string, unknown> | undefined): TermsBucket[] | undefined {
  return (aggregations?.counts as { buckets?: TermsBucket[] } | undefined)?.buckets;
}

/** ElastAlert 2's get_aggregation_query: query-key terms (outer), then the interval histogram, then the metric. */
export function aggregationQueryBody(
  agg: AggregationQuerySpec,
  o: RuleOptions,
  offsetSeconds: number | undefined,
): Record<string, unknown> {
  let aggs: Record<string, unknown> = agg.element;
  if (agg.bucketInterval) {
    const histogram: Record<string, unknown> = {
      field: o.timestampField,
      fixed_interval: agg.bucketInterval.period,
    };
    if (offsetSeconds) histogram.offset = `+${offsetSeconds}s`;
    aggs = { interval_aggs: { date_histogram: histogram, aggs } };
  }
  if (o.queryKey) {
    for (const key of o.queryKey.split(',').reverse()) {
      aggs = {
        bucket_aggs: { terms: { field: key, size: o.termsSize, min_doc_count: o.minDocCount }, aggs },
      };
    }
  }
  return aggs;
}

/** Segments fetched together in one date_range aggregation at most. */
export const MAX_SEGMENTS_PER_REQUEST = 720;

/** Count/terms segments can be fetched together when the timestamp is a date field (ISO). */
export function canBatchSegments(o: RuleOptions): boolean {
  return (o.useCountQuery || o.useTermsQuery) && o.timestampType === 'iso' && !o.queryTimezone;
}

/**
 * Where a `gt`/`lte` bound written as `toIso(t)` really falls, as the first millisecond it
 * excludes (for lte) or includes (for gt). Elasticsearch rounds a bound without a fraction up to
 * the end of its second (`lte 03:47:00Z` includes 03:47:00.259); one with milliseconds is exact.
 */
export function effectiveEdge(t: number): number {
  return t % 1000 === 0 ? t + 1000 : t + 1;
}

/**
 * The counts (or term buckets) of many segments in one search: a date_range aggregation whose
 * ranges reproduce the per-segment queries' bounds exactly. A segment is (start, end] while a
 * date range is [from, to), so each edge is where Elasticsearch puts the per-segment query's
 * bound (see effectiveEdge), and the outer query's bounds are the first and last of those edges.
 */
export function batchedSegmentsAggregation(
  o: RuleOptions,
  segments: readonly [number, number][],
  termsField: string | undefined,
): Record<string, unknown> {
  const ranges = segments.map(([from, to], i) => ({
    key: `s${i}`,
    from: effectiveEdge(from),
    to: effectiveEdge(to),
  }));
  const sub = termsField ? { aggs: termsAggregation(o, termsField) } : {};
  return { segments: { date_range: { field: o.timestampField, ranges, keyed: true }, ...sub } };
}

type SegmentBucket = { doc_count: number; counts?: { buckets: TermsBucket[] } };

/** Each segment's count and term buckets from a batchedSegmentsAggregation response. */
export function batchedSegmentResults(
  aggregations: Record<string, unknown> | undefined,
  count: number,
  terms: boolean,
): { count: number; buckets: TermsBucket[] | undefined }[] {
  const buckets = ((aggregations?.segments as { buckets?: Record<string, SegmentBucket> } | undefined)
    ?.buckets ?? {}) as Record<string, SegmentBucket>;
  return Array.from({ length: count }, (_, i) => {
    const b = buckets[`s${i}`];
    return { count: b?.doc_count ?? 0, buckets: terms ? (b?.counts?.buckets ?? []) : undefined };
  });
}
