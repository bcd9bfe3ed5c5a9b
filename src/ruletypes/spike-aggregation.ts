import { z } from 'zod';
import { pythonNumber, pythonRound } from '../format/percent-format.ts';
import { duration } from '../config/fields.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import { parseTimestamp, prettyTimestamp, timedeltaText } from '../util/time.ts';
import { aggregationQuery } from './base-aggregation.ts';
import type { EventWindow, WindowEntry } from './event-window.ts';
import {
  METRIC_OPTION_NAMES,
  type MetricSpec,
  metricShape,
  metricSpec,
  metricValues,
} from './metric-aggregation.ts';
import {
  MatchCollector,
  type RuleTypeContext,
  type RuleTypeDefinition,
  type RuleTypeInstance,
} from './rule-type.ts';
import { SpikeTracker } from './spike-tracker.ts';
import type { Match } from '../model/match.ts';

export const spikeAggregationOptions = z
  .object({
    ...metricShape,
    timeframe: duration,
    spike_height: z
      .number({ error: 'must be a number (the ratio between the current and the reference window)' })
      .positive(),
    spike_type: z.enum(['up', 'down', 'both'], { error: 'must be up, down or both' }),
    threshold_ref: z.number().default(0),
    threshold_cur: z.number().default(0),
    alert_on_new_data: z.boolean().default(false),
    use_run_every_query_size: z.boolean().default(false),
    allow_buffer_time_overlap: z.boolean().default(false),
    bucket_interval: z.unknown().optional(),
  })
  .transform((o, ctx) => {
    if (o.bucket_interval !== undefined && o.bucket_interval !== null)
      ctx.addIssue({
        code: 'custom',
        path: ['bucket_interval'],
        message: 'is not supported by spike_aggregation (each query window is one value)',
      });
    return {
      metric: metricSpec(o, ctx),
      timeframe: o.timeframe,
      spike_height: o.spike_height,
      spike_type: o.spike_type,
      threshold_ref: o.threshold_ref,
      threshold_cur: o.threshold_cur,
      alert_on_new_data: o.alert_on_new_data,
      use_run_every_query_size: o.use_run_every_query_size,
      allow_buffer_time_overlap: o.allow_buffer_time_overlap,
    };
  });
export type SpikeAggregationOptions = z.output<typeof spikeAggregationOptions>;

/** A window entry holding an aggregation value; null (no value: an avg of nothing) counts as 0 in sums. */
interface ValueEntry extends WindowEntry {
  value: number | null;
}

const FLOATS = new Set(['avg', 'min', 'max', 'sum', 'percentiles']);

/**
 * ElastAlert 2's window value per metric type: avg -> mean, min -> min, max -> max, anything
 * else -> sum. Entries without a value are left out (ElastAlert 2 raises on them, except in sums).
 * Garbage-collection placeholders add 0 to sums and are left out of the rest (ElastAlert 2 counts
 * them as 0 in min and max: docs/rule-types.md).
 */
function windowValue(spec: MetricSpec, w: EventWindow): number | undefined {
  const values = (w.entries() as ValueEntry[])
    .filter((e) => !e.placeholder)
    .map((e) => e.value)
    .filter((v): v is number => v !== null);
  switch (spec.type) {
    case 'avg':
      return values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
    case 'min':
      return values.length ? Math.min(...values) : undefined;
    case 'max':
      return values.length ? Math.max(...values) : undefined;
    default:
      return w.count();
  }
}

/**
 * spike with a metric instead of an event count: each query window gives one value per
 * query_key value (a metric aggregation computed by Elasticsearch), and the current timeframe's
 * values are compared with the previous timeframe's (their mean, min, max or sum by metric type).
 */
export function createSpikeAggregation(ctx: RuleTypeContext, o: SpikeAggregationOptions): RuleTypeInstance {
  const matches = new MatchCollector(ctx.timestampField);
  const m = o.metric;
  const tracker = new SpikeTracker(
    ctx,
    o,
    {
      counts: true,
      values: (ref, cur) => [windowValue(m, ref), windowValue(m, cur)],
      // as ElastAlert 2: the first entry with a value other than 0 (placeholders have none)
      pick: (list) => list.find((e) => e.count !== 0) ?? list.at(-1)!,
    },
    matches,
  );
  const feed = (ts: number, data: Doc, qk: string, doc: Doc) => {
    const value = metricValues(m, data)[0] ?? null;
    const entry: ValueEntry = { ts, count: value ?? 0, value, doc };
    tracker.handle(entry, qk);
  };
  const unwrapTerms = (ts: number, agg: unknown, path: string[]) => {
    for (const b of (agg as { buckets?: Doc[] } | undefined)?.buckets ?? []) {
      const keys = [...path, pythonStr(b.key)];
      if (b.bucket_aggs) {
        unwrapTerms(ts, b.bucket_aggs, keys);
        continue;
      }
      const qk = keys.join(',');
      feed(ts, b, qk, { [ctx.timestampField]: ts, [ctx.queryKey!]: qk });
    }
  };
  return {
    aggregationQuery: aggregationQuery(m.element, {
      bucketInterval: undefined,
      syncBucketInterval: false,
      useRunEveryQuerySize: o.use_run_every_query_size,
      allowBufferTimeOverlap: o.allow_buffer_time_overlap,
    }),
    addAggregationData(endMs, aggregations) {
      if ('bucket_aggs' in aggregations) unwrapTerms(endMs, aggregations.bucket_aggs, []);
      else feed(endMs, aggregations, 'all', { [ctx.timestampField]: endMs });
    },
    addData() {},
    // Called between the segments of a catch-up only (runRule), as ElastAlert 2 does.
    garbageCollect(ms: number) {
      tracker.collect(ms);
    },
    takeMatches: () => matches.take(),
    clearing: { kind: 'observed' },
    takeCleared: () => tracker.takeCleared(),
    matchText(match: Match) {
      const ts = parseTimestamp(lookupField(match, ctx.timestampField)) ?? 0;
      const num = (v: unknown) =>
        typeof v === 'number' ? pythonNumber(pythonRound(v, 2), FLOATS.has(m.type)) : pythonStr(v);
      return (
        `An abnormal ${m.type} of ${m.key} (${num(match.spike_count)}) occurred around ${prettyTimestamp(ts, ctx.timezone, ctx.prettyFormat)}.\n` +
        `Preceding that time, there was a ${m.type} of ${m.key} of (${num(match.reference_count)}) within ${timedeltaText(o.timeframe)}\n\n`
      );
    },
  };
}

export const spikeAggregationRule: RuleTypeDefinition<SpikeAggregationOptions> = {
  name: 'spike_aggregation',
  summary:
    'Alert when a metric aggregation in the current timeframe is spike_height times above (or below) the previous one.',
  options: spikeAggregationOptions,
  optionNames: [
    ...METRIC_OPTION_NAMES,
    'timeframe',
    'spike_height',
    'spike_type',
    'threshold_ref',
    'threshold_cur',
    'alert_on_new_data',
    'use_run_every_query_size',
    'allow_buffer_time_overlap',
  ],
  supportsCountQuery: false,
  supportsTermsQuery: false,
  create: createSpikeAggregation,
};
