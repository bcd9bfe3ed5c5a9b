import { z } from 'zod';
import { formatNumberString, pythonNumber } from '../format/percent-format.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import { type Doc, pythonStr } from '../model/lookup.ts';
import {
  AGGREGATION_OPTION_NAMES,
  aggregationQuery,
  aggregationSettings,
  aggregationShape,
  expandIntoDict,
  unwrapAggregations,
} from './base-aggregation.ts';
import {
  MatchCollector,
  type RuleTypeContext,
  type RuleTypeDefinition,
  type RuleTypeInstance,
} from './rule-type.ts';
import type { Match } from '../model/match.ts';

export const METRIC_TYPES = [
  'min',
  'max',
  'avg',
  'sum',
  'cardinality',
  'value_count',
  'percentiles',
] as const;
export type MetricType = (typeof METRIC_TYPES)[number];
/** Metrics Elasticsearch returns as doubles (Python prints them as floats: 3.0). */
const FLOAT_METRICS = new Set<MetricType>(['min', 'max', 'avg', 'sum', 'percentiles']);

/** A format for numbers, checked when the rule loads ('{:.2%}' or '%.2f'; '{:d}' for whole numbers). */
export const numberFormat = z.string().superRefine((f, ctx) => {
  let problem: unknown;
  for (const sample of [0.5, 1]) {
    try {
      formatNumberString(f, sample);
      return;
    } catch (err) {
      problem ??= err;
    }
  }
  ctx.addIssue({
    code: 'custom',
    message: `cannot format a number with it: ${errorMessage(problem)} (e.g. '{:.2%}' or '%.2f')`,
  });
});

/** The options naming the metric (metric_aggregation and spike_aggregation). */
export const metricShape = {
  metric_agg_key: z.string({ error: 'is required: the field the metric is computed on' }).min(1),
  metric_agg_type: z.enum(METRIC_TYPES, {
    error: `must be one of ${METRIC_TYPES.join(', ')}`,
  }),
  percentile_range: z.number({ error: 'must be a number (the percentile, e.g. 95)' }).optional(),
  metric_agg_script: z
    .union([z.string(), z.record(z.string(), z.unknown())], {
      error: 'must be a script (text) or a script mapping ({script: ..., ...})',
    })
    .optional(),
};

export const METRIC_OPTION_NAMES = [
  'metric_agg_key',
  'metric_agg_type',
  'percentile_range',
  'metric_agg_script',
];

export interface MetricSpec {
  key: string;
  type: MetricType;
  /** metric_<key>_<type>: the aggregation's name and the match field. */
  name: string;
  element: Record<string, unknown>;
}

type MetricInput = {
  metric_agg_key: string;
  metric_agg_type: MetricType;
  percentile_range?: number | undefined;
  metric_agg_script?: string | Record<string, unknown> | undefined;
};

/** ElastAlert 2's generate_aggregation_query: {metric_<key>_<type>: {<type>: {field | script, percents}}}. */
export function metricSpec(o: MetricInput, ctx: z.RefinementCtx): MetricSpec {
  const type = o.metric_agg_type;
  const name = `metric_${o.metric_agg_key}_${type}`;
  const body: Record<string, unknown> =
    o.metric_agg_script === undefined || o.metric_agg_script === ''
      ? { field: o.metric_agg_key }
      : typeof o.metric_agg_script === 'string'
        ? { script: o.metric_agg_script }
        : { ...o.metric_agg_script };
  if (type === 'percentiles') {
    if (o.percentile_range === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['percentile_range'],
        message: 'is required with metric_agg_type: percentiles (e.g. 95)',
      });
    if (!('percents' in body)) body.percents = [o.percentile_range];
  }
  return { key: o.metric_agg_key, type, name, element: { [name]: { [type]: body } } };
}

/** The values of the metric in one aggregation result: one, or every percentile asked for. */
export function metricValues(spec: MetricSpec, data: Doc): (number | null)[] {
  const agg = data[spec.name] as { value?: unknown; values?: unknown } | undefined;
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  if (spec.type !== 'percentiles') return [num(agg?.value)];
  const values = agg?.values;
  if (Array.isArray(values)) return values.map((v) => num((v as { value?: unknown }).value));
  return values && typeof values === 'object' ? Object.values(values).map(num) : [null];
}

/** The metric as Python's str() prints it (doubles as 3.0). */
export function metricText(spec: MetricSpec, value: unknown): string {
  return typeof value === 'number' ? pythonNumber(value, FLOAT_METRICS.has(spec.type)) : pythonStr(value);
}

/** A *_format_string applied to a value; when it cannot format this value, the value as it is. */
export function formatOr(format: string, value: unknown, plain: () => string): string {
  try {
    return formatNumberString(format, value);
  } catch {
    return plain();
  }
}

export const metricAggregationOptions = z
  .object({
    ...metricShape,
    ...aggregationShape,
    max_threshold: z.number({ error: 'must be a number' }).optional(),
    min_threshold: z.number({ error: 'must be a number' }).optional(),
    metric_format_string: numberFormat.optional(),
  })
  .transform((o, ctx) => {
    if (o.max_threshold === undefined && o.min_threshold === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['max_threshold'],
        message: 'needs max_threshold or min_threshold (or both)',
      });
    return {
      metric: metricSpec(o, ctx),
      aggregation: aggregationSettings(o, ctx),
      max_threshold: o.max_threshold,
      min_threshold: o.min_threshold,
      metric_format_string: o.metric_format_string,
    };
  });
export type MetricAggregationOptions = z.output<typeof metricAggregationOptions>;

/**
 * A metric (min, max, avg, sum, cardinality, value_count or a percentile) computed by
 * Elasticsearch over each query window (or each bucket_interval), per query_key value, above
 * max_threshold or below min_threshold (both exclusive).
 */
export function createMetricAggregation(ctx: RuleTypeContext, o: MetricAggregationOptions): RuleTypeInstance {
  const matches = new MatchCollector(ctx.timestampField);
  const m = o.metric;
  const compound = ctx.queryKey?.includes(',') ? ctx.queryKey.split(',') : undefined;
  const crossed = (v: number | null): v is number =>
    v !== null &&
    ((o.max_threshold !== undefined && v > o.max_threshold) ||
      (o.min_threshold !== undefined && v < o.min_threshold));
  const formatted = (v: number): Doc => {
    if (o.metric_format_string === undefined) return {};
    const text = formatOr(o.metric_format_string, v, () => metricText(m, v));
    return { [`${m.name}_formatted`]: text, metric_agg_value_formatted: text };
  };

  /** Compound query keys: one level of terms buckets per key field; the match names each field. */
  const recurse = (ts: number, data: Doc, keys: string[], found: Doc) => {
    if (keys.length === 0) return;
    found[keys[0]!] = data.key;
    const nested = data.bucket_aggs as { buckets?: Doc[] } | undefined;
    if (nested) {
      for (const b of nested.buckets ?? []) recurse(ts, b, keys.slice(1), found);
      return;
    }
    const intervals = (data.interval_aggs as { buckets?: Doc[] } | undefined)?.buckets;
    const values = intervals
      ? intervals.flatMap((b) => metricValues(m, b).slice(0, 1))
      : metricValues(m, data);
    for (const v of values) {
      if (!crossed(v)) continue;
      const match: Doc = { ...found, [ctx.timestampField]: ts, [m.name]: v };
      match[ctx.queryKey!] = compound!.map((k) => pythonStr(match[k])).join(',');
      Object.assign(match, formatted(v));
      matches.add(match, ts);
    }
  };

  const check = (ts: number, qk: unknown, data: Doc) => {
    if (compound) {
      recurse(ts, data, compound, {});
      return;
    }
    const v = metricValues(m, data)[0] ?? null;
    if (!crossed(v)) return;
    let match: Doc = { [ctx.timestampField]: ts, [m.name]: v, metric_agg_value: v, ...formatted(v) };
    if (qk !== undefined && ctx.queryKey) match = expandIntoDict(match, ctx.queryKey, qk);
    matches.add(match, ts);
  };

  return {
    aggregationQuery: aggregationQuery(m.element, o.aggregation),
    addAggregationData(endMs, aggregations) {
      unwrapAggregations(endMs, aggregations, check);
    },
    addData() {},
    garbageCollect() {},
    takeMatches: () => matches.take(),
    matchText(match: Match) {
      const v = match[m.name];
      const shown =
        o.metric_format_string !== undefined
          ? formatOr(o.metric_format_string, v, () => metricText(m, v))
          : metricText(m, v);
      return `Threshold violation, ${m.type}:${m.key} ${shown} (min: ${pythonStr(o.min_threshold)} max : ${pythonStr(o.max_threshold)}) \n\n`;
    },
  };
}

export const metricAggregationRule: RuleTypeDefinition<MetricAggregationOptions> = {
  name: 'metric_aggregation',
  summary:
    'Alert when a metric aggregation (avg, max, percentiles, ...) per window crosses max_threshold or min_threshold.',
  options: metricAggregationOptions,
  optionNames: [
    ...METRIC_OPTION_NAMES,
    ...AGGREGATION_OPTION_NAMES,
    'max_threshold',
    'min_threshold',
    'metric_format_string',
  ],
  supportsCountQuery: false,
  supportsTermsQuery: false,
  create: createMetricAggregation,
};
