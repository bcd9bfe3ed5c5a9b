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
];

/** Writes one `<name>.yaml` per rule (index and `alert: debug` added) into `dir`. */
export function writeRules(dir: string, rules: RuleFile[] = COMPARISON_RULES): string[] {
  mkdirSync(dir, { recursive: true });
  return rules.map((r) => {
    const file = join(dir, `${r.name}.yaml`);
    writeFileSync(file, stringify({ index: INDEX, ...r, alert: ['debug'] }));
    return file;
  });
}
