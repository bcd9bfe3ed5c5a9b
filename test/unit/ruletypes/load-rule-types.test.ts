/** Rule files of every new type load as ElastAlert 2 rule files, with no option left unknown. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { catalogs } from '../../../src/app/catalogs.ts';
import { createRuntimeRule } from '../../../src/engine/runtime-rule.ts';
import { loadRuleFile } from '../../../src/compile/compile-rule.ts';
import { testConfig } from '../../support/config.ts';

function load(rule: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-types-'));
  const file = join(dir, 'rule.yaml');
  writeFileSync(file, stringify({ name: 'r', index: 'eventrouter-*', alert: ['debug'], ...rule }));
  const global = testConfig({
    rules_folder: dir,
    run_every: { minutes: 1 },
    buffer_time: { minutes: 15 },
    es_host: 'localhost',
    writeback_index: 'wb',
  });
  return loadRuleFile(file, {
    global,
    env: () => undefined,
    catalogs: catalogs(),
    logger: pino({ level: 'silent' }),
  });
}

const RULES: Record<string, Record<string, unknown>> = {
  blacklist: { compare_key: 'event.reason', blacklist: ['SystemOOM', 'Rebooted'], filter_by_list: true },
  whitelist: { compare_key: 'event.involvedObject.namespace', whitelist: ['prod'], ignore_null: true },
  change: {
    query_key: 'event.involvedObject.name.keyword',
    compare_key: ['event.type', 'event.reason'],
    ignore_null: true,
    timeframe: { hours: 1 },
  },
  new_term: {
    fields: ['event.involvedObject.name', ['event.involvedObject.namespace', 'event.reason']],
    terms_window_size: { days: 7 },
    window_step_size: { hours: 12 },
    alert_on_missing_field: false,
    use_keyword_postfix: true,
  },
  cardinality: {
    query_key: 'event.source.host.keyword',
    cardinality_field: 'event.involvedObject.name.keyword',
    max_cardinality: 30,
    timeframe: { minutes: 10 },
  },
  metric_aggregation: {
    query_key: ['event.involvedObject.namespace.keyword', 'event.reason.keyword'],
    metric_agg_key: 'event.count',
    metric_agg_type: 'percentiles',
    percentile_range: 99,
    max_threshold: 100,
    bucket_interval: { minutes: 5 },
    sync_bucket_interval: true,
    allow_buffer_time_overlap: true,
    metric_format_string: '{:.1f}',
    min_doc_count: 2,
  },
  spike_aggregation: {
    metric_agg_key: 'event.count',
    metric_agg_type: 'sum',
    timeframe: { hours: 1 },
    spike_height: 3,
    spike_type: 'both',
    threshold_ref: 5,
    threshold_cur: 5,
    alert_on_new_data: true,
    use_run_every_query_size: true,
  },
  percentage_match: {
    match_bucket_filter: [{ term: { 'event.type.keyword': 'Warning' } }],
    max_percentage: 20,
    min_denominator: 50,
    percentage_format_string: '%.1f',
    query_key: 'event.involvedObject.namespace.keyword',
  },
};

describe('loading rules of every ElastAlert 2 rule type', () => {
  it("every one of ElastAlert 2's rule types is built in", () => {
    const ea2Types = ['any', 'frequency', 'flatline', 'spike', ...Object.keys(RULES)];
    expect(ea2Types.filter((t) => !catalogs().ruleTypes.has(t))).toEqual([]);
  });

  it.each(Object.entries(RULES))('%s loads without warnings', (type, options) => {
    const rule = load({ type, ...options });
    expect(rule.type.name).toBe(type);
    expect(rule.warnings).toEqual([]);
    const rt = createRuntimeRule(rule);
    expect(typeof rt.ruleType.takeMatches).toBe('function');
  });

  it('blacklist and whitelist lists go into the rule filter (filter_by_list)', () => {
    const rule = load({ type: 'blacklist', ...RULES.blacklist });
    expect(rule.options.filters).toEqual([
      { query_string: { query: 'event.reason:"SystemOOM" OR event.reason:"Rebooted"' } },
    ]);
  });

  it('aggregation rules carry the query the engine sends; timeframe reaches the engine', () => {
    const metric = createRuntimeRule(load({ type: 'metric_aggregation', ...RULES.metric_aggregation }));
    expect(metric.ruleType.aggregationQuery).toEqual({
      element: {
        'metric_event.count_percentiles': { percentiles: { field: 'event.count', percents: [99] } },
      },
      bucketInterval: { ms: 300_000, period: '5m' },
      syncBucketInterval: true,
      useRunEveryQuerySize: false,
      allowBufferTimeOverlap: true,
    });
    const spike = load({ type: 'spike_aggregation', ...RULES.spike_aggregation });
    expect(spike.options.timeframeMs).toBe(3_600_000);
  });

  it('errors point at the option', () => {
    expect(() =>
      load({ type: 'metric_aggregation', ...RULES.metric_aggregation, bucket_interval: { minutes: 7 } }),
    ).toThrow(/bucket_interval: buffer_time must be a whole number of bucket_interval/);
    expect(() => load({ type: 'change', compare_key: 'a', ignore_null: true })).toThrow(
      /query_key is required/,
    );
  });
});
