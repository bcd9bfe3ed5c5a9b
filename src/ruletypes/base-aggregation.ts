/**
 * What ElastAlert 2's aggregation rule types share (BaseAggregationRule): bucket_interval and the
 * segment options, and the unwrapping of aggregation results (query-key terms buckets, then
 * interval buckets, then the rule's own aggregation) into check(timestamp, query key, data).
 */
import { z } from 'zod';
import { DURATION_UNITS, duration } from '../config/fields.ts';
import type { Doc } from '../model/lookup.ts';
import { parseTimestamp } from '../util/time.ts';
import type { AggregationQuerySpec } from './rule-type.ts';

const PERIOD_UNITS = [
  ['seconds', 's'],
  ['minutes', 'm'],
  ['hours', 'h'],
  ['days', 'd'],
  ['weeks', 'w'],
] as const;

/**
 * bucket_interval as ElastAlert 2 reads it: the date_histogram interval is the first of
 * seconds, minutes, hours, days, weeks that is set ("5m"); its length is the whole time dict.
 * Returns what is wrong when it cannot be used.
 */
/**
 * A date_histogram fixed_interval for a duration: Elasticsearch refuses weeks (`1w`) and
 * fractions (`1.5h`), so the largest whole unit among d, h, m, s, ms.
 */
export function fixedInterval(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms)}ms`;
}

export function bucketIntervalOf(raw: unknown): { ms: number; period: string } | string {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    return `must be a time like {minutes: 5} (${DURATION_UNITS.slice(0, 5).join(', ')})`;
  const parsed = duration.safeParse(raw);
  if (!parsed.success) return parsed.error.issues[0]?.message ?? 'must be a time like {minutes: 5}';
  const dict = raw as Record<string, unknown>;
  const unit = PERIOD_UNITS.find(([name]) => name in dict);
  if (!unit) return 'must be given in seconds, minutes, hours, days or weeks';
  if (parsed.data <= 0) return 'must be longer than 0';
  return { ms: parsed.data, period: fixedInterval(parsed.data) };
}

/** Options every aggregation rule type reads (besides its own). */
export const aggregationShape = {
  bucket_interval: z.unknown().optional(),
  sync_bucket_interval: z.boolean().default(false),
  use_run_every_query_size: z.boolean().default(false),
  allow_buffer_time_overlap: z.boolean().default(false),
  buffer_time: duration.optional(),
  run_every: duration.optional(),
};

export const AGGREGATION_OPTION_NAMES = [
  'bucket_interval',
  'sync_bucket_interval',
  'use_run_every_query_size',
  'allow_buffer_time_overlap',
] as const;

export interface AggregationSettings {
  bucketInterval: { ms: number; period: string } | undefined;
  syncBucketInterval: boolean;
  useRunEveryQuerySize: boolean;
  allowBufferTimeOverlap: boolean;
}

type AggregationInput = {
  bucket_interval?: unknown;
  sync_bucket_interval: boolean;
  use_run_every_query_size: boolean;
  allow_buffer_time_overlap: boolean;
  buffer_time?: number | undefined;
  run_every?: number | undefined;
};

/**
 * Reads the aggregation options, checking as ElastAlert 2 does that buffer_time (or run_every
 * with use_run_every_query_size) is a whole number of bucket intervals.
 */
export function aggregationSettings(o: AggregationInput, ctx: z.RefinementCtx): AggregationSettings {
  let interval: AggregationSettings['bucketInterval'];
  if (o.bucket_interval !== undefined && o.bucket_interval !== null) {
    const b = bucketIntervalOf(o.bucket_interval);
    if (typeof b === 'string') ctx.addIssue({ code: 'custom', path: ['bucket_interval'], message: b });
    else {
      interval = b;
      const [name, size] = o.use_run_every_query_size
        ? (['run_every', o.run_every] as const)
        : (['buffer_time', o.buffer_time] as const);
      if (size !== undefined && Math.round(size / 1000) % Math.round(b.ms / 1000) !== 0)
        ctx.addIssue({
          code: 'custom',
          path: ['bucket_interval'],
          message: `${name} must be a whole number of bucket_interval (${name} ${size / 1000}s, bucket_interval ${b.ms / 1000}s)`,
        });
    }
  }
  return {
    bucketInterval: interval,
    syncBucketInterval: o.sync_bucket_interval,
    useRunEveryQuerySize: o.use_run_every_query_size,
    allowBufferTimeOverlap: o.allow_buffer_time_overlap,
  };
}

export function aggregationQuery(
  element: Record<string, unknown>,
  s: AggregationSettings,
): AggregationQuerySpec {
  return {
    element,
    ...(s.bucketInterval ? { bucketInterval: s.bucketInterval } : {}),
    syncBucketInterval: s.syncBucketInterval,
    useRunEveryQuerySize: s.useRunEveryQuerySize,
    allowBufferTimeOverlap: s.allowBufferTimeOverlap,
  };
}

type Bucket = Doc & { key?: unknown; key_as_string?: unknown };

const bucketsOf = (agg: unknown): Bucket[] =>
  ((agg as { buckets?: Bucket[] } | undefined)?.buckets ?? []) as Bucket[];

/** An interval bucket's time: its key_as_string as ElastAlert 2 reads it (else the key, epoch ms). */
function intervalTime(b: Bucket, fallback: number): number {
  const t = parseTimestamp(b.key_as_string);
  if (t !== undefined) return t;
  return typeof b.key === 'number' ? b.key : fallback;
}

export type AggregationCheck = (ts: number, queryKey: unknown, data: Doc) => void;

/** ElastAlert 2's add_aggregation_data / unwrap_interval_buckets / unwrap_term_buckets. */
export function unwrapAggregations(endMs: number, payload: Doc, check: AggregationCheck): void {
  const intervals = (qk: unknown, agg: unknown) => {
    for (const b of bucketsOf(agg)) check(intervalTime(b, endMs), qk, b);
  };
  if ('interval_aggs' in payload) intervals(undefined, payload.interval_aggs);
  else if ('bucket_aggs' in payload) {
    for (const term of bucketsOf(payload.bucket_aggs)) {
      if ('interval_aggs' in term) intervals(term.key, term.interval_aggs);
      else check(endMs, term.key, term);
    }
  } else check(endMs, undefined, payload);
}

/** ElastAlert 2's expand_string_into_dict: "a.b.c" = v becomes {a: {b: {c: v}}} (replacing a). */
export function expandIntoDict(target: Doc, path: string, value: unknown): Doc {
  const [head, ...rest] = path.split('.');
  let v: unknown = value;
  for (const part of rest.reverse()) v = { [part]: v };
  target[head!] = v;
  return target;
}
