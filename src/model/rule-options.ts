/**
 * What the engine and the alert path use of a rule: its common options, normalized (durations in
 * milliseconds, keys split, defaults from config.yaml filled in). Built from the rule file when it
 * loads (src/rules/rule-options.ts); nothing downstream reads the rule's mapping for options.
 */

/** A cron schedule (limit_execution, aggregation: {schedule}). */
export interface Schedule {
  readonly expression: string;
  /** The first matching instant strictly after `afterMs`, evaluated in `timeZone`. */
  next(afterMs: number, timeZone?: string): number;
}

export type Aggregation =
  { kind: 'none' } | { kind: 'window'; ms: number } | { kind: 'schedule'; cron: Schedule };

export interface AlertSpec {
  name: string;
  /** Inline options (`- dingtalk: {dingtalk_msgtype: markdown}`), layered over the rule's. */
  options: Record<string, unknown>;
}

/** top_count_keys and the options that go with it. */
export interface TopCountSettings {
  /** top_count_keys as written in the rule. */
  keys: string[];
  /** raw_count_keys (default true): count on <key><string_multi_field_name>. */
  rawCountKeys: boolean;
  /** string_multi_field_name (default .keyword). */
  stringMultiFieldName: string;
  /** top_count_number (default 5). */
  number: number;
}

/** include_rule_params_in_matches: rule options copied into each match as rule_param_<name>. */
export interface RuleParams {
  /** rule_param_<name> -> the option's value (null when the rule does not set it). */
  values: Record<string, unknown>;
  /** include_rule_params_in_first_match_only */
  firstMatchOnly: boolean;
}

export interface RuleOptions {
  index: string;
  useStrftimeIndex: boolean;
  searchExtraIndex: boolean;
  filters: Record<string, unknown>[];
  timestampField: string;
  timestampType: 'iso' | 'unix' | 'unix_ms' | 'custom';
  timestampFormat: string;
  queryTimezone: string | undefined;
  queryKey: string | undefined;
  compoundQueryKey: string[] | undefined;
  aggregationKey: string | undefined;
  compoundAggregationKey: string[] | undefined;
  /** _source fields to fetch; undefined fetches the whole document. */
  include: string[] | undefined;
  bufferTimeMs: number;
  runEveryMs: number;
  queryDelayMs: number;
  timeframeMs: number | undefined;
  maxQuerySize: number;
  maxScrollingCount: number;
  scrollKeepalive: string;
  useCountQuery: boolean;
  useTermsQuery: boolean;
  termsSize: number;
  minDocCount: number;
  realertMs: number;
  realertKey: string;
  exponentialRealertMs: number | undefined;
  aggregation: Aggregation;
  aggregateByMatchTime: boolean;
  aggregationComparedWithTimestampField: boolean;
  isEnabled: boolean;
  scanEntireTimeframe: boolean;
  limitExecution: Schedule | undefined;
  limitExecutionCoverage: boolean;
  timezone: string;
  prettyFormat: string | undefined;
  alerts: AlertSpec[];
  matchEnhancements: string[];
  runEnhancementsFirst: boolean;
  compatSpikeOnZero: boolean;
  topCounts: TopCountSettings | undefined;
  ruleParams: RuleParams | undefined;
  /** include_match_in_root: the match's fields also at the top of its alert document. */
  includeMatchInRoot: boolean;
  metadata: { category: string; description: string; owner: string; priority: string };
}
