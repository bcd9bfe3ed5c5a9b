import { z } from 'zod';
import { pythonFloat } from '../format/percent-format.ts';
import { type Doc, pythonStr } from '../model/lookup.ts';
import {
  AGGREGATION_OPTION_NAMES,
  aggregationQuery,
  aggregationSettings,
  aggregationShape,
  expandIntoDict,
  unwrapAggregations,
} from './base-aggregation.ts';
import { formatOr, numberFormat } from './metric-aggregation.ts';
import {
  MatchCollector,
  type RuleTypeContext,
  type RuleTypeDefinition,
  type RuleTypeInstance,
} from './rule-type.ts';
import type { Match } from '../model/match.ts';

const esQuery = z.record(z.string(), z.unknown());

export const percentageMatchOptions = z
  .object({
    ...aggregationShape,
    match_bucket_filter: z.union([esQuery, z.array(esQuery)], {
      error: 'is required: the Elasticsearch query clause(s) selecting the documents counted as matches',
    }),
    min_percentage: z.number({ error: 'must be a number (percent, e.g. 25)' }).optional(),
    max_percentage: z.number({ error: 'must be a number (percent, e.g. 75)' }).optional(),
    min_denominator: z.int({ error: 'must be a whole number' }).default(0),
    percentage_format_string: numberFormat.optional(),
    query_key: z.union([z.string(), z.array(z.string())]).optional(),
  })
  .transform((o, ctx) => {
    if (o.max_percentage === undefined && o.min_percentage === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['max_percentage'],
        message: 'needs max_percentage or min_percentage (or both)',
      });
    if (Array.isArray(o.query_key) && o.query_key.length > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['query_key'],
        message:
          'percentage_match works with one query_key field (ElastAlert 2 fails on a list at the first query)',
      });
    return {
      aggregation: aggregationSettings(o, ctx),
      match_bucket_filter: o.match_bucket_filter,
      min_percentage: o.min_percentage,
      max_percentage: o.max_percentage,
      min_denominator: o.min_denominator,
      percentage_format_string: o.percentage_format_string,
    };
  });
export type PercentageMatchOptions = z.output<typeof percentageMatchOptions>;

/** ElastAlert 2's aggregation: a filters aggregation with the match bucket and everything else. */
export function percentageElement(filter: unknown): Record<string, unknown> {
  return {
    percentage_match_aggs: {
      filters: { other_bucket: true, filters: { match_bucket: { bool: { must: filter } } } },
    },
  };
}

/**
 * The share of documents matching match_bucket_filter among all the rule's documents in each
 * query window (or bucket_interval), per query_key value, above max_percentage or below
 * min_percentage (exclusive). Windows with fewer than min_denominator documents (or none) are
 * skipped.
 */
export function createPercentageMatch(ctx: RuleTypeContext, o: PercentageMatchOptions): RuleTypeInstance {
  const matches = new MatchCollector(ctx.timestampField);
  const violates = (pct: number) =>
    (o.max_percentage !== undefined && pct > o.max_percentage) ||
    (o.min_percentage !== undefined && pct < o.min_percentage);
  const check = (ts: number, qk: unknown, data: Doc) => {
    const buckets = (
      data.percentage_match_aggs as { buckets?: Record<string, { doc_count?: unknown }> } | undefined
    )?.buckets;
    const matched = buckets?.match_bucket?.doc_count;
    const other = buckets?._other_?.doc_count;
    if (typeof matched !== 'number' || typeof other !== 'number') return;
    const total = matched + other;
    if (total === 0 || total < o.min_denominator) return;
    const percentage = (matched / total) * 100;
    if (!violates(percentage)) return;
    let match: Doc = { [ctx.timestampField]: ts, percentage, denominator: total };
    if (o.percentage_format_string !== undefined)
      match.percentage_formatted = formatOr(o.percentage_format_string, percentage, () =>
        pythonFloat(percentage),
      );
    if (qk !== undefined && ctx.queryKey) match = expandIntoDict(match, ctx.queryKey, qk);
    matches.add(match, ts);
  };
  return {
    aggregationQuery: aggregationQuery(percentageElement(o.match_bucket_filter), o.aggregation),
    addAggregationData(endMs, aggregations) {
      unwrapAggregations(endMs, aggregations, check);
    },
    addData() {},
    garbageCollect() {},
    takeMatches: () => matches.take(),
    matchText(match: Match) {
      const p = match.percentage;
      const shown =
        o.percentage_format_string !== undefined
          ? formatOr(o.percentage_format_string, p, () => pythonStr(p))
          : typeof p === 'number'
            ? pythonFloat(p)
            : pythonStr(p);
      return `Percentage violation, value: ${shown} (min: ${pythonStr(o.min_percentage)} max : ${pythonStr(o.max_percentage)}) of ${pythonStr(match.denominator)} items\n\n`;
    },
  };
}

export const percentageMatchRule: RuleTypeDefinition<PercentageMatchOptions> = {
  name: 'percentage_match',
  summary:
    'Alert when the share of documents matching match_bucket_filter goes above max_percentage or below min_percentage.',
  options: percentageMatchOptions,
  optionNames: [
    ...AGGREGATION_OPTION_NAMES,
    'match_bucket_filter',
    'min_percentage',
    'max_percentage',
    'min_denominator',
    'percentage_format_string',
  ],
  supportsCountQuery: false,
  supportsTermsQuery: false,
  create: createPercentageMatch,
};
