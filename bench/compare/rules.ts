/**
 * The rule set both engines run in the comparison: ElastAlert 2 rule files over the Kubernetes event
 * corpus (test/corpus), using only what both engines support. Every rule alerts with `debug`, so
 * nothing leaves the machine; the alert documents in the writeback index are what is compared.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export type RuleFile = Record<string, unknown> & { name: string; type: string };

const INDEX = 'eventrouter-*';
const POD = 'event.involvedObject.name.keyword';
const CRASH_FILTER = [
  {
    query: {
      query_string: { query: 'event.reason: BackOff AND event.message: "restarting failed container"' },
    },
  },
];
const HEARTBEAT_FILTER = [
  { term: { 'event.reason.keyword': 'SawCompletedJob' } },
  { term: { 'event.involvedObject.name.keyword': 'heartbeat' } },
];
const UNHEALTHY_FILTER = [{ query_string: { query: 'event.reason:Unhealthy' } }];
const NAMESPACE = 'event.involvedObject.namespace.keyword';
const WARNING_FILTER = [{ term: { 'event.type.keyword': 'Warning' } }];

export const COMPARISON_RULES: RuleFile[] = [
  {
    name: 'failed-scheduling',
    description: 'any: every FailedScheduling event alerts (realert 0)',
    type: 'any',
    filter: [{ term: { 'event.reason.keyword': 'FailedScheduling' } }],
    query_key: POD,
    realert: { minutes: 0 },
  },
  {
    name: 'crashloop',
    description: 'frequency + query_key: 5 BackOff restarts of one pod within 10 minutes, realert 30 minutes',
    type: 'frequency',
    num_events: 5,
    timeframe: { minutes: 10 },
    query_key: POD,
    filter: CRASH_FILTER,
    realert: { minutes: 30 },
  },
  {
    name: 'crashloop-count',
    description:
      'frequency, count mode: 20 BackOff restarts cluster-wide within 10 minutes, exponential realert',
    type: 'frequency',
    use_count_query: true,
    num_events: 20,
    timeframe: { minutes: 10 },
    filter: CRASH_FILTER,
    realert: { minutes: 1 },
    exponential_realert: { hours: 1 },
  },
  {
    name: 'crashloop-terms',
    description: 'frequency, terms mode + query_key: every match alerts (realert 0)',
    type: 'frequency',
    use_terms_query: true,
    num_events: 5,
    timeframe: { minutes: 10 },
    query_key: POD,
    filter: CRASH_FILTER,
    realert: { minutes: 0 },
  },
  {
    name: 'heartbeat',
    description: 'flatline: fewer than 1 completed heartbeat job within 10 minutes (realert 0)',
    type: 'flatline',
    threshold: 1,
    timeframe: { minutes: 10 },
    filter: HEARTBEAT_FILTER,
    realert: { minutes: 0 },
  },
  {
    name: 'probe-spike',
    description:
      'spike + query_key: 5x more Unhealthy events per namespace (at least 20) than the 10 minutes before',
    type: 'spike',
    timeframe: { minutes: 10 },
    spike_height: 5,
    spike_type: 'up',
    threshold_cur: 20,
    query_key: 'event.involvedObject.namespace.keyword',
    alert_on_new_data: true,
    filter: UNHEALTHY_FILTER,
  },
  {
    name: 'scheduling-spike',
    description: 'spike without thresholds on a burst that stops: exercises the documented 0-vs-0 deviation',
    type: 'spike',
    timeframe: { minutes: 30 },
    spike_height: 3,
    spike_type: 'up',
    filter: [{ term: { 'event.reason.keyword': 'FailedScheduling' } }],
    realert: { minutes: 0 },
  },
  {
    name: 'unhealthy-spike',
    description: 'spike without thresholds on a steady stream (realert 0)',
    type: 'spike',
    timeframe: { minutes: 30 },
    spike_height: 3,
    spike_type: 'up',
    filter: UNHEALTHY_FILTER,
    realert: { minutes: 0 },
  },
  {
    name: 'heartbeat-count',
    description: 'flatline, count mode: the heartbeat rule counted by Elasticsearch',
    type: 'flatline',
    use_count_query: true,
    threshold: 1,
    timeframe: { minutes: 10 },
    filter: HEARTBEAT_FILTER,
    realert: { minutes: 0 },
  },
  {
    name: 'probe-spike-terms',
    description: 'spike, terms mode + query_key: the probe-spike rule counted per namespace by Elasticsearch',
    type: 'spike',
    use_terms_query: true,
    timeframe: { minutes: 10 },
    spike_height: 5,
    spike_type: 'up',
    threshold_cur: 20,
    query_key: NAMESPACE,
    alert_on_new_data: true,
    filter: UNHEALTHY_FILTER,
    realert: { minutes: 0 },
  },
  {
    name: 'node-trouble',
    description: 'blacklist on event.reason: node-level trouble, every event alerts (realert 0)',
    type: 'blacklist',
    compare_key: 'event.reason',
    blacklist: ['NodeNotReady', 'Rebooted', 'EvictionThresholdMet', 'FreeDiskSpaceFailed', 'SystemOOM'],
    realert: { minutes: 0 },
  },
  {
    name: 'backoff-pods',
    description: 'blacklist + query_key: pods backing off (crash or image pull), realert 4 hours',
    type: 'blacklist',
    compare_key: 'event.reason',
    blacklist: ['BackOff', 'Failed'],
    query_key: POD,
    realert: { hours: 4 },
  },
  {
    name: 'unexpected-namespace',
    description:
      'whitelist on the namespace (missing namespaces too: node events), query_key kind, realert 4 hours',
    type: 'whitelist',
    compare_key: 'event.involvedObject.namespace',
    whitelist: ['prod', 'payments', 'staging', 'search', 'monitoring', 'kube-system', 'batch'],
    ignore_null: false,
    query_key: 'event.involvedObject.kind.keyword',
    realert: { hours: 4 },
  },
  {
    name: 'pod-turns-warning',
    description: 'change: the event type of one pod changes (within 30 minutes), realert 0',
    type: 'change',
    query_key: POD,
    compare_key: 'event.type',
    ignore_null: true,
    timeframe: { minutes: 30 },
    filter: [{ term: { 'event.involvedObject.kind.keyword': 'Pod' } }],
    realert: { minutes: 0 },
  },
  {
    name: 'new-warning-object',
    description: 'new_term: the first Warning event of an object (1-hour terms window), realert 0',
    type: 'new_term',
    fields: ['event.involvedObject.name'],
    terms_window_size: { hours: 1 },
    window_step_size: { minutes: 30 },
    filter: WARNING_FILTER,
    realert: { minutes: 0 },
  },
  {
    name: 'new-reason-in-namespace',
    description: 'new_term, composite key: a (namespace, reason) pair not seen before, realert 0',
    type: 'new_term',
    fields: [['event.involvedObject.namespace', 'event.reason']],
    terms_window_size: { hours: 2 },
    realert: { minutes: 0 },
  },
  {
    name: 'new-reason-terms',
    description: 'new_term, terms mode: a reason not seen before, counted by Elasticsearch (realert 0)',
    type: 'new_term',
    query_key: 'event.reason.keyword',
    use_terms_query: true,
    use_keyword_postfix: false,
    terms_window_size: { hours: 1 },
    realert: { minutes: 0 },
  },
  {
    name: 'busy-namespace',
    description:
      'cardinality: more than 25 distinct objects per namespace within 10 minutes, realert 4 hours',
    type: 'cardinality',
    cardinality_field: 'event.involvedObject.name.keyword',
    max_cardinality: 25,
    timeframe: { minutes: 10 },
    query_key: NAMESPACE,
    realert: { hours: 4 },
  },
  {
    name: 'heartbeat-jobs',
    description: 'cardinality, minimum: fewer than 3 distinct heartbeat jobs within 10 minutes (realert 0)',
    type: 'cardinality',
    cardinality_field: 'event.involvedObject.name.keyword',
    min_cardinality: 3,
    timeframe: { minutes: 10 },
    filter: [{ term: { 'event.involvedObject.namespace.keyword': 'batch' } }],
    realert: { minutes: 0 },
  },
  {
    name: 'event-count-max',
    description: 'metric_aggregation: max event.count per namespace above 50 in 5-minute buckets (realert 0)',
    type: 'metric_aggregation',
    metric_agg_key: 'event.count',
    metric_agg_type: 'max',
    max_threshold: 50,
    query_key: NAMESPACE,
    bucket_interval: { minutes: 5 },
    realert: { minutes: 0 },
  },
  {
    name: 'event-count-avg',
    description: 'metric_aggregation: average event.count cluster-wide above 1.5 per 15 minutes (realert 0)',
    type: 'metric_aggregation',
    metric_agg_key: 'event.count',
    metric_agg_type: 'avg',
    max_threshold: 1.5,
    metric_format_string: '{:.2f}',
    realert: { minutes: 0 },
  },
  {
    name: 'unhealthy-agg-spike',
    description:
      'spike_aggregation: Unhealthy events per namespace (value_count) 4x the previous 15 minutes, at least 10',
    type: 'spike_aggregation',
    metric_agg_key: 'event.count',
    metric_agg_type: 'value_count',
    timeframe: { minutes: 15 },
    spike_height: 4,
    spike_type: 'up',
    threshold_cur: 10,
    query_key: NAMESPACE,
    filter: UNHEALTHY_FILTER,
    realert: { minutes: 0 },
  },
  {
    name: 'restart-count-spike',
    description:
      'spike_aggregation: the sum of BackOff counts cluster-wide triples against the previous 30 minutes (at least 50)',
    type: 'spike_aggregation',
    metric_agg_key: 'event.count',
    metric_agg_type: 'sum',
    timeframe: { minutes: 30 },
    spike_height: 3,
    spike_type: 'up',
    threshold_cur: 50,
    filter: CRASH_FILTER,
    realert: { minutes: 0 },
  },
  {
    name: 'warning-share',
    description:
      'percentage_match: more than 20% Warning events per namespace (at least 20 events) in 5-minute buckets',
    type: 'percentage_match',
    match_bucket_filter: WARNING_FILTER,
    max_percentage: 20,
    min_denominator: 20,
    percentage_format_string: '{:.1f}',
    query_key: NAMESPACE,
    bucket_interval: { minutes: 5 },
    realert: { minutes: 0 },
  },
  {
    name: 'image-pull-failures',
    description: 'any + query_key: image pull errors per pod, realert 5 minutes, exponential up to 1 hour',
    type: 'any',
    filter: [{ query_string: { query: 'event.reason:Failed AND event.message:"ErrImagePull"' } }],
    query_key: POD,
    realert: { minutes: 5 },
    exponential_realert: { hours: 1 },
  },
];

/**
 * The comparison rules that would read most of a busy stream (hundreds of documents per second)
 * at every run, narrowed for the steady-state runs: a real rule set does not fetch every event
 * each minute, and neither engine could at 1000 rules on one machine.
 */
const STEADY_NARROWED: Record<string, Partial<RuleFile>> = {
  'unexpected-namespace': {
    description: 'whitelist on the namespace, default namespace allowed: events of cluster-scoped objects',
    whitelist: ['prod', 'payments', 'staging', 'search', 'monitoring', 'kube-system', 'batch', 'default'],
  },
  'pod-turns-warning': {
    description: 'change: the Warning message of one pod changes (within 30 minutes)',
    compare_key: 'event.message',
    filter: [...WARNING_FILTER, { term: { 'event.involvedObject.kind.keyword': 'Pod' } }],
  },
  'new-reason-in-namespace': {
    description: 'new_term, composite key: a (namespace, reason) pair of Warning events not seen before',
    filter: WARNING_FILTER,
  },
  'busy-namespace': {
    description:
      'cardinality: more than 5 distinct objects with Warning events per namespace within 10 minutes',
    max_cardinality: 5,
    filter: WARNING_FILTER,
  },
};

/**
 * `n` rules for the steady-state runs: the comparison rule set cycled (`<name>-<copy>`), with the
 * rules in STEADY_NARROWED narrowed.
 */
export function steadyRules(n: number): RuleFile[] {
  return Array.from({ length: n }, (_, i) => {
    const base = COMPARISON_RULES[i % COMPARISON_RULES.length]!;
    const copy = Math.floor(i / COMPARISON_RULES.length);
    return {
      ...base,
      ...STEADY_NARROWED[base.name],
      name: `${base.name}-${String(copy).padStart(3, '0')}`,
    };
  });
}

/** Writes one `<name>.yaml` per rule (index and `alert: debug` added) into `dir`. */
export function writeRules(dir: string, rules: RuleFile[] = COMPARISON_RULES): string[] {
  mkdirSync(dir, { recursive: true });
  return rules.map((r) => {
    const file = join(dir, `${r.name}.yaml`);
    writeFileSync(file, stringify({ index: INDEX, ...r, alert: ['debug'] }));
    return file;
  });
}
