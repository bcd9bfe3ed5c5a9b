/**
 * The options every rule has (ElastAlert 2's common rule options), read from the merged rule
 * mapping (rule file over its imports over config.yaml) into what the engine uses.
 */
import { z } from 'zod';
import { duration, interval, nonNegativeInt, positiveInt } from '../config/fields.ts';
import { k8sOptionsShape } from '../k8s/k8s-options.ts';
import { Cron } from '../util/cron.ts';
import { isValidTimeZone } from '../util/time.ts';
import type { Aggregation, AlertSpec, RuleOptions } from '../model/rule-options.ts';
import { DISCOVER_OPTION_NAMES } from './discover-options.ts';
import { RELATED_LOGS_OPTION_NAMES } from './related-logs-options.ts';
import { RESOLVE_OPTION_NAMES } from './resolve-options.ts';

const MINUTE = 60_000;

const alertItem = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

/** A cron expression, checked when the rule loads. */
const cron = z.string().transform((expression, ctx) => {
  try {
    return new Cron(expression);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

export const commonRuleSchema = z
  .object({
    name: z.string({ error: 'must be a string naming the rule' }).min(1),
    type: z.string({ error: 'must name a rule type (any, frequency, flatline, spike, ...)' }).min(1),
    index: z
      .string({ error: 'must be the index to search, e.g. eventrouter-* or eventrouter-%Y-%m-%d' })
      .min(1),
    alert: z.union([z.string().min(1), z.array(alertItem).min(1, { error: 'needs at least one alerter' })], {
      error: 'must name the alerters, e.g. [debug] or [dingtalk]',
    }),
    is_enabled: z.boolean().default(true),
    use_strftime_index: z.boolean().default(false),
    search_extra_index: z.boolean().default(false),
    filter: z
      .array(z.record(z.string(), z.unknown()), { error: 'must be a list of Elasticsearch query clauses' })
      .default([]),
    query_key: z.union([z.string(), z.array(z.string())]).optional(),
    aggregation_key: z.union([z.string(), z.array(z.string())]).optional(),
    compare_key: z.union([z.string(), z.array(z.string())]).optional(),
    include: z.array(z.string(), { error: 'must be a list of field names' }).optional(),
    timestamp_field: z.string().default('@timestamp'),
    timestamp_type: z
      .string()
      .transform((s) => s.trim().toLowerCase())
      .pipe(
        z.enum(['iso', 'unix', 'unix_ms', 'custom'], {
          error: 'must be one of iso, unix, unix_ms or custom',
        }),
      )
      .default('iso'),
    timestamp_format: z.string().default('%Y-%m-%dT%H:%M:%SZ'),
    query_timezone: z.string().default(''),
    use_local_time: z.boolean().default(true),
    custom_pretty_ts_format: z.string().nullable().optional(),
    timezone: z
      .string()
      .refine(isValidTimeZone, { error: 'must be an IANA time zone name such as UTC or Asia/Shanghai' })
      .optional(),
    buffer_time: duration.optional(),
    run_every: interval.optional(),
    query_delay: duration.default(0),
    /** Every rule type may have one (ElastAlert 2 converts it for all): scan_entire_timeframe, top_count_keys. */
    timeframe: duration.optional(),
    max_query_size: positiveInt.optional(),
    max_scrolling_count: nonNegativeInt.optional(),
    scroll_keepalive: z.string().optional(),
    use_count_query: z.boolean().default(false),
    use_terms_query: z.boolean().default(false),
    terms_size: positiveInt.default(50),
    min_doc_count: nonNegativeInt.default(1),
    realert: duration.optional(),
    realert_key: z.string().optional(),
    exponential_realert: duration.optional(),
    aggregation: z.union([duration, z.object({ schedule: cron }).strict()]).optional(),
    aggregate_by_match_time: z.boolean().default(false),
    aggregation_alert_time_compared_with_timestamp_field: z.boolean().default(false),
    scan_entire_timeframe: z.boolean().default(false),
    limit_execution: cron.optional(),
    limit_execution_coverage: z.boolean().default(false),
    match_enhancements: z.array(z.string()).default([]),
    run_enhancements_first: z.boolean().default(false),
    owner: z.string().default(''),
    priority: z.union([z.string(), z.number()]).default('2'),
    category: z.string().default(''),
    description: z.string().default(''),
    top_count_keys: z.array(z.string()).optional(),
    // ElastAlert 2's schema takes any integer; 0 or less gives no top counts (a warning says so)
    top_count_number: z.int({ error: 'must be a whole number' }).default(5),
    raw_count_keys: z.boolean().default(true),
    string_multi_field_name: z.string().optional(),
    include_rule_params_in_matches: z
      .array(z.union([z.string(), z.number()]).transform(String), { error: 'must be a list of option names' })
      .optional(),
    include_rule_params_in_first_match_only: z.boolean().default(false),
    include_match_in_root: z.boolean().default(false),
    compat_spike_on_zero: z.boolean().default(false),
    alert_text: z.string({ error: 'must be text' }).optional(),
    alert_text_args: z.array(z.string(), { error: 'must be a list of field names' }).optional(),
    alert_text_kw: z
      .record(z.string(), z.string(), { error: 'must map field names to placeholder names' })
      .optional(),
    alert_text_type: z
      .enum(['alert_text_only', 'alert_text_jinja', 'exclude_fields', 'aggregation_summary_only'], {
        error: 'must be one of alert_text_only, alert_text_jinja, exclude_fields, aggregation_summary_only',
      })
      .optional(),
    alert_subject: z.string({ error: 'must be text' }).optional(),
    alert_subject_args: z.array(z.string(), { error: 'must be a list of field names' }).optional(),
    alert_subject_max_len: positiveInt.optional(),
    // esalert: event text in markdown and HTML alerts is escaped unless this is false
    escape_event_text: z.boolean({ error: 'must be true or false' }).optional(),
    alert_missing_value: z.string().optional(),
    summary_table_fields: z
      .array(
        z.union([z.string(), z.object({ path: z.string().min(1), header: z.string().optional() }).strict()]),
      )
      .optional(),
    summary_table_type: z
      .enum(['ascii', 'html', 'markdown'], { error: 'must be ascii, html or markdown' })
      .optional(),
    summary_table_max_rows: nonNegativeInt.optional(),
    // read where the summary table and Jinja alert texts are formatted (format/summary-table.ts, alert-text.ts)
    summary_prefix: z.string({ error: 'must be text' }).optional(),
    summary_suffix: z.string({ error: 'must be text' }).optional(),
    jinja_root_name: z.string({ error: 'must be text' }).optional(),
    ...k8sOptionsShape,
  })
  .loose();

export type CommonRuleRaw = z.output<typeof commonRuleSchema>;

export interface GlobalDefaults {
  bufferTimeMs: number;
  runEveryMs: number;
  maxQuerySize: number;
  maxScrollingCount: number;
  timezone: string;
}

export function parseAlertSpecs(alert: CommonRuleRaw['alert']): AlertSpec[] {
  const items = typeof alert === 'string' ? [alert] : alert;
  return items.map((item) => {
    if (typeof item === 'string') return { name: item, options: {} };
    const [name, options] = Object.entries(item)[0] ?? ['', {}];
    return {
      name,
      options: (options && typeof options === 'object' ? options : {}) as Record<string, unknown>,
    };
  });
}

/**
 * Normalizes the parsed common options; `timeframeMs` comes from the rule type's options when it
 * has one, `mapping` is the whole rule (the values include_rule_params_in_matches copies).
 */
export function toRuleOptions(
  c: CommonRuleRaw,
  defaults: GlobalDefaults,
  timeframeMs: number | undefined,
  mapping: Readonly<Record<string, unknown>>,
): RuleOptions {
  const qk = c.query_key;
  const compoundQueryKey = Array.isArray(qk) && qk.length > 1 ? qk : undefined;
  const queryKey = Array.isArray(qk) ? (qk.length > 1 ? qk.join(',') : qk[0]) : qk;
  const ak = c.aggregation_key;
  const compoundAggregationKey = Array.isArray(ak) ? ak : undefined;
  const aggregationKey = Array.isArray(ak) ? ak.join(',') : ak;
  const aggregation: Aggregation =
    c.aggregation === undefined
      ? { kind: 'none' }
      : typeof c.aggregation === 'number'
        ? c.aggregation > 0
          ? { kind: 'window', ms: c.aggregation }
          : { kind: 'none' }
        : { kind: 'schedule', cron: c.aggregation.schedule };

  // ElastAlert 2 adds the query, compare and timestamp fields to `include` (default '*': everything).
  let include: string[] | undefined;
  if (c.include && !c.include.includes('*')) {
    const fields = new Set(c.include);
    for (const f of [
      queryKey,
      ...(compoundQueryKey ?? []),
      ...(compoundAggregationKey ?? []),
      c.timestamp_field,
    ])
      if (f) fields.add(f);
    const ck = c.compare_key;
    for (const f of Array.isArray(ck) ? ck : ck ? [ck] : []) fields.add(f);
    for (const f of c.top_count_keys ?? []) fields.add(f);
    include = [...fields];
  }
  return {
    index: c.index,
    useStrftimeIndex: c.use_strftime_index,
    searchExtraIndex: c.search_extra_index,
    filters: c.filter,
    timestampField: c.timestamp_field,
    timestampType: c.timestamp_type,
    timestampFormat: c.timestamp_format,
    queryTimezone: c.query_timezone || undefined,
    queryKey,
    compoundQueryKey,
    aggregationKey,
    compoundAggregationKey,
    include,
    bufferTimeMs: c.buffer_time ?? defaults.bufferTimeMs,
    runEveryMs: c.run_every ?? defaults.runEveryMs,
    queryDelayMs: c.query_delay,
    timeframeMs,
    maxQuerySize: c.max_query_size ?? defaults.maxQuerySize,
    maxScrollingCount: c.max_scrolling_count ?? defaults.maxScrollingCount,
    scrollKeepalive: c.scroll_keepalive ?? '30s',
    useCountQuery: c.use_count_query,
    useTermsQuery: c.use_terms_query,
    termsSize: c.terms_size,
    minDocCount: c.min_doc_count,
    realertMs: c.realert ?? (c.aggregation !== undefined ? 0 : MINUTE),
    realertKey: c.realert_key ?? c.name,
    exponentialRealertMs: c.exponential_realert,
    aggregation,
    aggregateByMatchTime: c.aggregate_by_match_time,
    aggregationComparedWithTimestampField: c.aggregation_alert_time_compared_with_timestamp_field,
    isEnabled: c.is_enabled,
    scanEntireTimeframe: c.scan_entire_timeframe,
    limitExecution: c.limit_execution,
    limitExecutionCoverage: c.limit_execution_coverage,
    timezone: c.use_local_time ? (c.timezone ?? defaults.timezone) : 'UTC',
    prettyFormat: c.custom_pretty_ts_format ?? undefined,
    alerts: parseAlertSpecs(c.alert),
    matchEnhancements: c.match_enhancements,
    runEnhancementsFirst: c.run_enhancements_first,
    compatSpikeOnZero: c.compat_spike_on_zero,
    topCounts:
      c.top_count_keys && c.top_count_keys.length > 0
        ? {
            keys: c.top_count_keys,
            rawCountKeys: c.raw_count_keys,
            stringMultiFieldName: c.string_multi_field_name || '.keyword',
            number: c.top_count_number,
          }
        : undefined,
    ruleParams: c.include_rule_params_in_matches
      ? {
          values: Object.fromEntries(
            c.include_rule_params_in_matches.map((p) => [`rule_param_${p}`, mapping[p] ?? null]),
          ),
          firstMatchOnly: c.include_rule_params_in_first_match_only,
        }
      : undefined,
    includeMatchInRoot: c.include_match_in_root,
    metadata: {
      category: c.category,
      description: c.description,
      owner: c.owner,
      priority: String(c.priority),
    },
  };
}

/** Every option name this module reads (for unknown-option warnings). */
export const COMMON_RULE_OPTIONS: readonly string[] = [
  ...Object.keys(commonRuleSchema.shape),
  'import',
  ...DISCOVER_OPTION_NAMES,
  ...RESOLVE_OPTION_NAMES,
  ...RELATED_LOGS_OPTION_NAMES,
];
