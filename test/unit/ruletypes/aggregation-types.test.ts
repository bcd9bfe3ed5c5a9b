/**
 * metric_aggregation, spike_aggregation and percentage_match. ElastAlert 2's tests
 * (tests/rules_test.py) call check_matches(timestamp, query_key, data) directly; here the same
 * data arrives the way the engine hands it over (addAggregationData with the aggregation result),
 * with the same expected matches.
 */
import { describe, expect, it, vi } from 'vitest';
import { unwrapAggregations } from '../../../src/ruletypes/base-aggregation.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { type Case, create, run } from './support.ts';

const T = '2024-05-14T10:00:00Z';
const avg = (value: number | null): Doc => ({ metric_cpu_pct_avg: { value } });
/** check_matches(ts, qk, data) as the engine's payload: one terms bucket with that key. */
const underKey = (key: string, data: Doc): Doc => ({ bucket_aggs: { buckets: [{ key, ...data }] } });
const pct = (match: number | null, other: number | null): Doc => ({
  percentage_match_aggs: { buckets: { match_bucket: { doc_count: match }, _other_: { doc_count: other } } },
});

const metricBase = {
  metric_agg_type: 'avg',
  metric_agg_key: 'cpu_pct',
  min_threshold: 0.1,
  max_threshold: 0.8,
};
const compoundBase = {
  metric_agg_type: 'avg',
  metric_agg_key: 'cpu_pct',
  max_threshold: 0.8,
};
const percentBase = { match_bucket_filter: { term: 'term_val' }, min_percentage: 25, max_percentage: 75 };

const cases: Case[] = [
  // metric_aggregation
  {
    name: 'EA2 test_metric_aggregation: thresholds are exclusive; null never crosses',
    type: 'metric_aggregation',
    options: metricBase,
    steps: [
      { agg: [T, avg(0.09)] },
      { agg: [T, avg(0.1)] },
      { agg: [T, avg(0.79)] },
      { agg: [T, avg(0.81)] },
      { matches: 2, where: [{ metric_cpu_pct_avg: 0.09 }, { metric_cpu_pct_avg: 0.81 }] },
      { clear: true },
      { agg: [T, avg(null)] },
      { agg: [T, avg(0.5)] },
      { matches: 0 },
      { agg: [T, avg(0.05)] },
      { agg: [T, avg(0.95)] },
      { matches: 2 },
    ],
  },
  {
    name: 'EA2 test_metric_aggregation: the match',
    type: 'metric_aggregation',
    options: metricBase,
    steps: [
      { agg: [T, avg(0.966666667)] },
      {
        matches: 1,
        exact: [{ '@timestamp': T, metric_cpu_pct_avg: 0.966666667, metric_agg_value: 0.966666667 }],
      },
    ],
  },
  {
    name: "EA2 test_metric_aggregation: metric_format_string '{:.2%}'",
    type: 'metric_aggregation',
    options: { ...metricBase, metric_format_string: '{:.2%}' },
    steps: [
      { agg: [T, avg(0.966666667)] },
      {
        matches: 1,
        where: [
          {
            metric_cpu_pct_avg: 0.966666667,
            metric_agg_value: 0.966666667,
            metric_cpu_pct_avg_formatted: '96.67%',
            metric_agg_value_formatted: '96.67%',
          },
        ],
      },
    ],
  },
  {
    name: "EA2 test_metric_aggregation: metric_format_string '%.2f'",
    type: 'metric_aggregation',
    options: { ...metricBase, metric_format_string: '%.2f' },
    steps: [
      { agg: [T, avg(0.966666667)] },
      { matches: 1, where: [{ metric_cpu_pct_avg_formatted: '0.97', metric_agg_value_formatted: '0.97' }] },
    ],
  },
  {
    name: 'EA2 test_metric_aggregation: query_key',
    type: 'metric_aggregation',
    queryKey: 'subdict',
    options: metricBase,
    steps: [{ agg: [T, underKey('qk_val', avg(0.95))] }, { matches: 1, where: [{ subdict: 'qk_val' }] }],
  },
  {
    name: 'EA2 test_metric_aggregation: a dotted query_key becomes nested objects',
    type: 'metric_aggregation',
    queryKey: 'subdict1.subdict2.subdict3',
    options: metricBase,
    steps: [
      { agg: [T, underKey('qk_val', avg(0.95))] },
      {
        matches: 1,
        exact: [
          {
            '@timestamp': T,
            metric_cpu_pct_avg: 0.95,
            metric_agg_value: 0.95,
            subdict1: { subdict2: { subdict3: 'qk_val' } },
          },
        ],
      },
    ],
  },
  {
    name: 'EA2 test_metric_aggregation_complex_query_key',
    type: 'metric_aggregation',
    queryKey: 'qk,sub_qk',
    options: compoundBase,
    steps: [
      {
        agg: [
          T,
          underKey('qk_val', {
            bucket_aggs: {
              buckets: [
                { metric_cpu_pct_avg: { value: 0.91 }, key: 'sub_qk_val1' },
                { metric_cpu_pct_avg: { value: 0.95 }, key: 'sub_qk_val2' },
                { metric_cpu_pct_avg: { value: 0.89 }, key: 'sub_qk_val3' },
              ],
            },
          }),
        ],
      },
      {
        matches: 3,
        exact: [
          {
            qk: 'qk_val',
            sub_qk: 'sub_qk_val1',
            '@timestamp': T,
            metric_cpu_pct_avg: 0.91,
            'qk,sub_qk': 'qk_val,sub_qk_val1',
          },
          {
            qk: 'qk_val',
            sub_qk: 'sub_qk_val2',
            '@timestamp': T,
            metric_cpu_pct_avg: 0.95,
            'qk,sub_qk': 'qk_val,sub_qk_val2',
          },
          {
            qk: 'qk_val',
            sub_qk: 'sub_qk_val3',
            '@timestamp': T,
            metric_cpu_pct_avg: 0.89,
            'qk,sub_qk': 'qk_val,sub_qk_val3',
          },
        ],
      },
    ],
  },
  {
    name: 'EA2 test_percentiles_metric_aggregation_complex_query_key',
    type: 'metric_aggregation',
    queryKey: 'qk,sub_qk',
    options: { ...compoundBase, metric_agg_type: 'percentiles', percentile_range: 95, max_threshold: 0.9 },
    steps: [
      {
        agg: [
          T,
          underKey('qk_val', {
            bucket_aggs: {
              buckets: [
                { metric_cpu_pct_percentiles: { values: { '95.0': 0.91 } }, key: 'sub_qk_val1' },
                { metric_cpu_pct_percentiles: { values: { '95.0': 0.95 } }, key: 'sub_qk_val2' },
                { metric_cpu_pct_percentiles: { values: { '95.0': 0.89 } }, key: 'sub_qk_val3' },
              ],
            },
          }),
        ],
      },
      {
        matches: 2,
        where: [
          { qk: 'qk_val', sub_qk: 'sub_qk_val1' },
          { qk: 'qk_val', sub_qk: 'sub_qk_val2' },
        ],
      },
    ],
  },
  {
    name: 'EA2 test_metric_aggregation_complex_query_key_formatted',
    type: 'metric_aggregation',
    queryKey: 'qk,sub_qk',
    options: { ...compoundBase, metric_agg_key: 'some_val', metric_format_string: '{:.2f}' },
    steps: [
      {
        agg: [
          T,
          underKey('qk_val', {
            bucket_aggs: {
              buckets: [
                { metric_some_val_avg: { value: 1000.9133333 }, key: 'sub_qk_val1' },
                { metric_some_val_avg: { value: 10.9 }, key: 'sub_qk_val2' },
                { metric_some_val_avg: { value: 0.89999 }, key: 'sub_qk_val3' },
              ],
            },
          }),
        ],
      },
      {
        matches: 3,
        where: [
          {
            qk: 'qk_val',
            sub_qk: 'sub_qk_val1',
            metric_agg_value_formatted: '1000.91',
            metric_some_val_avg_formatted: '1000.91',
          },
          {
            qk: 'qk_val',
            sub_qk: 'sub_qk_val2',
            metric_agg_value_formatted: '10.90',
            metric_some_val_avg_formatted: '10.90',
          },
          {
            sub_qk: 'sub_qk_val3',
            metric_agg_value_formatted: '0.90',
            metric_some_val_avg_formatted: '0.90',
          },
        ],
      },
    ],
  },
  {
    name: 'EA2 test_metric_aggregation_complex_query_key_bucket_interval (the match time is the query end)',
    type: 'metric_aggregation',
    queryKey: 'qk,sub_qk',
    options: { ...compoundBase, bucket_interval: { minutes: 1 }, buffer_time: { minutes: 5 } },
    steps: [
      {
        agg: [
          T,
          underKey('qk_val', {
            bucket_aggs: {
              buckets: [
                {
                  key: 'sub_qk_val1',
                  interval_aggs: {
                    buckets: [
                      { metric_cpu_pct_avg: { value: 0.91 }, key: '1617156690000' },
                      { metric_cpu_pct_avg: { value: 0.89 }, key: '1617156750000' },
                      { metric_cpu_pct_avg: { value: 0.78 }, key: '1617156810000' },
                      { metric_cpu_pct_avg: { value: 0.85 }, key: '1617156870000' },
                      { metric_cpu_pct_avg: { value: 0.86 }, key: '1617156930000' },
                    ],
                  },
                },
              ],
            },
          }),
        ],
      },
      {
        matches: 4,
        where: [
          { qk: 'qk_val', sub_qk: 'sub_qk_val1', '@timestamp': T, metric_cpu_pct_avg: 0.91 },
          { qk: 'qk_val', sub_qk: 'sub_qk_val1' },
          { metric_cpu_pct_avg: 0.85 },
          { metric_cpu_pct_avg: 0.86 },
        ],
      },
    ],
  },
  {
    name: 'EA2 test_metric_aggregation_scripted',
    type: 'metric_aggregation',
    options: {
      metric_agg_type: 'avg',
      metric_agg_key: 'cpu_pct',
      metric_agg_script: { script: "doc['some_threshold'].value - doc['cpu_pct'].value" },
      min_threshold: 0.0,
    },
    steps: [{ agg: [T, avg(-0.5)] }, { matches: 1, where: [{ metric_cpu_pct_avg: -0.5 }] }],
  },
  {
    name: "metric_format_string '{:d}' formats whole numbers; a value it cannot format stays as it is",
    type: 'metric_aggregation',
    options: { metric_agg_type: 'avg', metric_agg_key: 'x', max_threshold: 1, metric_format_string: '{:d}' },
    steps: [
      { agg: [T, { metric_x_avg: { value: 7 } }] },
      { agg: [T, { metric_x_avg: { value: 2.5 } }] },
      { matches: 2, where: [{ metric_agg_value_formatted: '7' }, { metric_agg_value_formatted: '2.5' }] },
    ],
  },
  {
    name: 'bucket_interval: each interval bucket is checked, timed by its key_as_string',
    type: 'metric_aggregation',
    queryKey: 'ns',
    options: {
      metric_agg_type: 'max',
      metric_agg_key: 'event.count',
      max_threshold: 100,
      bucket_interval: { minutes: 5 },
      buffer_time: { minutes: 15 },
    },
    steps: [
      {
        agg: [
          '2024-05-14T10:15:00Z',
          {
            bucket_aggs: {
              buckets: [
                {
                  key: 'prod',
                  interval_aggs: {
                    buckets: [
                      {
                        key_as_string: '2024-05-14T10:00:00.000Z',
                        key: 1715680800000,
                        'metric_event.count_max': { value: 50 },
                      },
                      {
                        key_as_string: '2024-05-14T10:05:00.000Z',
                        key: 1715681100000,
                        'metric_event.count_max': { value: 150 },
                      },
                      { key: 1715681400000, 'metric_event.count_max': { value: 101 } },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
      {
        matches: 2,
        exact: [
          {
            '@timestamp': '2024-05-14T10:05:00Z',
            'metric_event.count_max': 150,
            metric_agg_value: 150,
            ns: 'prod',
          },
          {
            '@timestamp': '2024-05-14T10:10:00Z',
            'metric_event.count_max': 101,
            metric_agg_value: 101,
            ns: 'prod',
          },
        ],
      },
    ],
  },

  // spike_aggregation
  {
    name: 'EA2 test_spike_percentiles',
    type: 'spike_aggregation',
    options: {
      timeframe: { minutes: 5 },
      metric_agg_type: 'percentiles',
      metric_agg_key: 'bytes',
      percentile_range: 95,
      spike_type: 'up',
      spike_height: 1.5,
      min_threshold: 0.0,
    },
    steps: [
      { agg: ['2024-05-14T00:00:00Z', { metric_bytes_percentiles: { values: { '95.0': 0.0 } } }] },
      { matches: 0 },
      { agg: ['2024-05-14T10:00:00Z', { metric_bytes_percentiles: { values: { '95.0': 9879.0 } } }] },
      {
        matches: 1,
        exact: [{ '@timestamp': '2024-05-14T10:00:00Z', spike_count: 9879, reference_count: 0 }],
      },
    ],
  },
  {
    name: 'spike_aggregation: avg compares means; per compound query key; the match is the first current value (EA2)',
    type: 'spike_aggregation',
    queryKey: 'ns,reason',
    options: {
      timeframe: { minutes: 10 },
      metric_agg_type: 'avg',
      metric_agg_key: 'event.count',
      spike_type: 'up',
      spike_height: 3,
    },
    steps: [
      ...[0, 5, 10, 15, 20, 25].map((m, i) => ({
        agg: [
          `2024-05-14T10:${String(m).padStart(2, '0')}:00Z`,
          {
            bucket_aggs: {
              buckets: [
                {
                  key: 'prod',
                  bucket_aggs: {
                    buckets: [
                      { key: 'BackOff', 'metric_event.count_avg': { value: i < 5 ? 2 : 10 } },
                      { key: 'Pulled', 'metric_event.count_avg': { value: 1 } },
                    ],
                  },
                },
              ],
            },
          },
        ] as [string, Doc],
      })),
      {
        matches: 1,
        exact: [
          {
            '@timestamp': '2024-05-14T10:20:00Z',
            'ns,reason': 'prod,BackOff',
            spike_count: 6,
            reference_count: 2,
          },
        ],
      },
    ],
  },
  {
    name: 'spike_aggregation: min; values that are null (no documents) are left out',
    type: 'spike_aggregation',
    options: {
      timeframe: { minutes: 10 },
      metric_agg_type: 'min',
      metric_agg_key: 'x',
      spike_type: 'up',
      spike_height: 2,
    },
    steps: [
      ...(
        [
          ['10:00', 2],
          ['10:05', 2],
          ['10:10', null],
          ['10:15', null],
          ['10:20', 6],
        ] as const
      ).map(([hm, v]) => ({
        agg: [`2024-05-14T${hm}:00Z`, { metric_x_min: { value: v } }] as [string, Doc],
      })),
      { matches: 1, exact: [{ '@timestamp': '2024-05-14T10:20:00Z', spike_count: 6, reference_count: 2 }] },
    ],
  },
  {
    name: 'spike_aggregation: value_count sums the windows; threshold_cur applies to the sum',
    type: 'spike_aggregation',
    options: {
      timeframe: { minutes: 10 },
      metric_agg_type: 'value_count',
      metric_agg_key: 'x',
      spike_type: 'up',
      spike_height: 2,
      threshold_cur: 100,
    },
    steps: [
      ...[1, 1, 1, 1, 30, 30, 60, 60].map((v, i) => ({
        agg: [
          `2024-05-14T10:${String(i * 5).padStart(2, '0')}:00Z`,
          { metric_x_value_count: { value: v } },
        ] as [string, Doc],
      })),
      {
        matches: 1,
        where: [{ '@timestamp': '2024-05-14T10:30:00Z', spike_count: 120, reference_count: 60 }],
      },
    ],
  },

  {
    // checked against ElastAlert 2 2.31.0 (SpikeMetricAggregationRule with these calls): 10:40, 5, 0
    name: 'spike_aggregation: placeholders between segments slide the windows; a forgotten key keeps its first time',
    type: 'spike_aggregation',
    queryKey: 'ns',
    options: {
      timeframe: { minutes: 10 },
      metric_agg_type: 'value_count',
      metric_agg_key: 'x',
      spike_type: 'up',
      spike_height: 2,
      threshold_cur: 3,
    },
    steps: [
      { agg: ['2024-05-14T10:00:00Z', underKey('a', { metric_x_value_count: { value: 1 } })] },
      ...['10:05', '10:10', '10:15', '10:20', '10:25', '10:30', '10:35'].map((hm) => ({
        gc: `2024-05-14T${hm}:00Z`,
      })),
      { agg: ['2024-05-14T10:40:00Z', underKey('a', { metric_x_value_count: { value: 5 } })] },
      // without the placeholders the 10:00 value would be the reference (1); without the kept
      // first time the key would be warming up again (no match)
      { matches: 1, where: [{ ns: 'a', spike_count: 5, reference_count: 0 }] },
    ],
  },

  // percentage_match
  {
    name: 'EA2 test_percentage_match: (0,0), (None,100), (26,74), (74,26) do not match; (24,76), (76,24) do',
    type: 'percentage_match',
    options: percentBase,
    steps: [
      { agg: [T, pct(0, 0)] },
      { agg: [T, pct(null, 100)] },
      { agg: [T, pct(26, 74)] },
      { agg: [T, pct(74, 26)] },
      { matches: 0 },
      { agg: [T, pct(24, 76)] },
      { agg: [T, pct(76, 24)] },
      {
        matches: 2,
        exact: [
          { '@timestamp': T, percentage: 24, denominator: 100 },
          { '@timestamp': T, percentage: 76, denominator: 100 },
        ],
      },
    ],
  },
  {
    name: 'EA2 test_percentage_match: percentage_violation at the limits (25, 50, 75 are inside)',
    type: 'percentage_match',
    options: percentBase,
    steps: [
      { agg: [T, pct(25, 75)] },
      { agg: [T, pct(50, 50)] },
      { agg: [T, pct(75, 25)] },
      { matches: 0 },
      { agg: [T, pct(249, 751)] },
      { agg: [T, pct(751, 249)] },
      { matches: 2 },
    ],
  },
  {
    name: 'EA2 test_percentage_match: the percentage',
    type: 'percentage_match',
    options: percentBase,
    steps: [{ agg: [T, pct(76.666666667, 24)] }, { matches: 1, where: [{ percentage: 76.15894039742994 }] }],
  },
  {
    name: "EA2 test_percentage_match: percentage_format_string '{:.2f}'",
    type: 'percentage_match',
    options: { ...percentBase, percentage_format_string: '{:.2f}' },
    steps: [
      { agg: [T, pct(76.666666667, 24)] },
      { matches: 1, where: [{ percentage: 76.15894039742994, percentage_formatted: '76.16' }] },
    ],
  },
  {
    name: "EA2 test_percentage_match: percentage_format_string '%.2f'",
    type: 'percentage_match',
    options: { ...percentBase, percentage_format_string: '%.2f' },
    steps: [
      { agg: [T, pct(76.666666667, 24)] },
      { matches: 1, where: [{ percentage: 76.15894039742994, percentage_formatted: '76.16' }] },
    ],
  },
  {
    name: 'EA2 test_percentage_match: query_key',
    type: 'percentage_match',
    queryKey: 'qk',
    options: percentBase,
    steps: [
      { agg: [T, underKey('qk_val', pct(76.666666667, 24))] },
      { matches: 1, where: [{ qk: 'qk_val' }] },
    ],
  },
  {
    name: 'EA2 test_percentage_match: query_key (dotted: nested objects)',
    type: 'percentage_match',
    queryKey: 'subdict1.subdict2',
    options: percentBase,
    steps: [
      { agg: [T, underKey('qk_val', pct(76.666666667, 24))] },
      { matches: 1, where: [{ subdict1: { subdict2: 'qk_val' } }] },
    ],
  },
  {
    name: 'percentage_match: min_denominator skips small windows; bucket_interval buckets are checked',
    type: 'percentage_match',
    options: {
      ...percentBase,
      min_denominator: 10,
      bucket_interval: { minutes: 5 },
      buffer_time: { minutes: 10 },
    },
    steps: [
      { agg: [T, pct(9, 0)] },
      { matches: 0 },
      {
        agg: [
          T,
          {
            interval_aggs: {
              buckets: [
                { key_as_string: '2024-05-14T09:50:00.000Z', ...pct(5, 5) },
                { key_as_string: '2024-05-14T09:55:00.000Z', ...pct(10, 0) },
              ],
            },
          },
        ],
      },
      { matches: 1, exact: [{ '@timestamp': '2024-05-14T09:55:00Z', percentage: 100, denominator: 10 }] },
    ],
  },
];

describe('aggregation rule types', () => {
  it.each(cases)('$type: $name', (c) => {
    run(c);
  });

  it('EA2 aggregation_query_element: metric, script, percentiles (percents from the script win)', () => {
    const q = (options: Doc) => create({ type: 'metric_aggregation', options }).rule.aggregationQuery!;
    expect(q(metricBase).element).toEqual({ metric_cpu_pct_avg: { avg: { field: 'cpu_pct' } } });
    const script = "doc['some_threshold'].value - doc['cpu_pct'].value";
    expect(q({ ...metricBase, metric_agg_script: { script } }).element).toEqual({
      metric_cpu_pct_avg: { avg: { script } },
    });
    const percentiles = {
      metric_agg_type: 'percentiles',
      metric_agg_key: 'my_field',
      percentile_range: 95,
      min_threshold: 100,
    };
    const s = "doc['my_field'].value * 2";
    for (const [metric_agg_script, percents] of [
      [s, 95],
      [{ script: s }, 95],
      [{ script: s, percents: [99] }, 99],
    ] as const) {
      const body = (q({ ...percentiles, metric_agg_script }).element.metric_my_field_percentiles as Doc)
        .percentiles as Doc;
      expect(body.script).toBe(s);
      expect(body.percents).toEqual([percents]);
    }
    // spike_aggregation builds the same element (EA2 test_spike_metric_aggregation_with_script_and_percentiles)
    for (const [metric_agg_script, percents] of [
      [s, 99],
      [{ script: s }, 99],
      [{ script: s, percents: [95] }, 95],
    ] as const) {
      const rule = create({
        type: 'spike_aggregation',
        options: {
          timeframe: { minutes: 5 },
          metric_agg_type: 'percentiles',
          metric_agg_key: 'my_field',
          percentile_range: 99,
          metric_agg_script,
          spike_height: 2,
          spike_type: 'up',
          threshold_ref: 10,
        },
      }).rule;
      const body = (rule.aggregationQuery!.element.metric_my_field_percentiles as Doc).percentiles as Doc;
      expect(body).toEqual({ script: s, percents: [percents] });
    }
    const p = create({ type: 'percentage_match', options: percentBase }).rule.aggregationQuery!;
    expect(p.element).toEqual({
      percentage_match_aggs: {
        filters: { other_bucket: true, filters: { match_bucket: { bool: { must: { term: 'term_val' } } } } },
      },
    });
  });

  it('EA2 test_base_aggregation_constructor: bucket_interval periods and divisibility', () => {
    const spec = (bucket_interval: Doc, extra: Doc = {}) =>
      create({
        type: 'metric_aggregation',
        options: { ...metricBase, bucket_interval, buffer_time: { minutes: 1 }, ...extra },
      }).rule.aggregationQuery!;
    expect(spec({ seconds: 10 }).bucketInterval).toEqual({ ms: 10_000, period: '10s' });
    expect(spec({ minutes: 5 }, { buffer_time: { minutes: 5 } }).bucketInterval!.period).toBe('5m');
    expect(spec({ hours: 4 }, { buffer_time: { hours: 4 } }).bucketInterval!.period).toBe('4h');
    expect(spec({ days: 2 }, { buffer_time: { days: 2 } }).bucketInterval!.period).toBe('2d');
    // Elasticsearch refuses fixed_interval 1w and fractions: whole days, hours... instead
    expect(spec({ weeks: 1 }, { buffer_time: { weeks: 1 } }).bucketInterval!.period).toBe('7d');
    expect(spec({ minutes: 1.5 }, { buffer_time: { minutes: 3 } }).bucketInterval!.period).toBe('90s');
    const def = create({ type: 'metric_aggregation', options: metricBase }).def;
    const issues = (o: Doc) =>
      def.options.safeParse({ ...metricBase, ...o }).error?.issues.map((i) => i.message);
    expect(issues({ bucket_interval: { seconds: 13 }, buffer_time: { minutes: 1 } })).toEqual([
      'buffer_time must be a whole number of bucket_interval (buffer_time 60s, bucket_interval 13s)',
    ]);
    expect(
      issues({
        bucket_interval: { seconds: 10 },
        buffer_time: { seconds: 45 },
        use_run_every_query_size: true,
        run_every: { minutes: 2 },
      }),
    ).toBeUndefined();
    expect(
      issues({ bucket_interval: { seconds: 13 }, use_run_every_query_size: true, run_every: { minutes: 2 } }),
    ).toEqual(['run_every must be a whole number of bucket_interval (run_every 120s, bucket_interval 13s)']);
    expect(issues({ bucket_interval: { milliseconds: 500 } })).toEqual([
      'must be given in seconds, minutes, hours, days or weeks',
    ]);
    // the options the engine reads
    const s = create({
      type: 'percentage_match',
      options: {
        ...percentBase,
        sync_bucket_interval: true,
        use_run_every_query_size: true,
        allow_buffer_time_overlap: true,
      },
    }).rule.aggregationQuery!;
    expect(s).toMatchObject({
      syncBucketInterval: true,
      useRunEveryQuerySize: true,
      allowBufferTimeOverlap: true,
    });
  });

  it('EA2 test_base_aggregation_payloads: how results are unwrapped', () => {
    const check = vi.fn();
    const now = Date.parse(T);
    const interval = { interval_aggs: { buckets: [{ key_as_string: '2014-01-01T00:00:00Z' }] } };
    unwrapAggregations(now, {}, check);
    expect(check).toHaveBeenLastCalledWith(now, undefined, {});
    unwrapAggregations(now, interval, check);
    expect(check).toHaveBeenLastCalledWith(Date.parse('2014-01-01T00:00:00Z'), undefined, {
      key_as_string: '2014-01-01T00:00:00Z',
    });
    unwrapAggregations(now, { bucket_aggs: { buckets: [{ key: 'qk' }] } }, check);
    expect(check).toHaveBeenLastCalledWith(now, 'qk', { key: 'qk' });
    unwrapAggregations(now, { bucket_aggs: { buckets: [{ key: 'qk', ...interval }] } }, check);
    expect(check).toHaveBeenLastCalledWith(Date.parse('2014-01-01T00:00:00Z'), 'qk', {
      key_as_string: '2014-01-01T00:00:00Z',
    });
    expect(check).toHaveBeenCalledTimes(4);
  });

  it('rejects what ElastAlert 2 rejects, saying what to write', () => {
    const m = create({ type: 'metric_aggregation', options: metricBase }).def;
    const issues = (def: typeof m, o: Doc) =>
      def.options.safeParse(o).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues(m, { metric_agg_type: 'avg', metric_agg_key: 'x' })).toEqual([
      'max_threshold: needs max_threshold or min_threshold (or both)',
    ]);
    expect(issues(m, { metric_agg_type: 'median', metric_agg_key: 'x', max_threshold: 1 })?.[0]).toMatch(
      /^metric_agg_type: must be one of min, max, avg, sum, cardinality, value_count, percentiles/,
    );
    expect(issues(m, { metric_agg_type: 'percentiles', metric_agg_key: 'x', max_threshold: 1 })).toEqual([
      'percentile_range: is required with metric_agg_type: percentiles (e.g. 95)',
    ]);
    expect(issues(m, { ...metricBase, metric_format_string: '%d %d' })?.[0]).toMatch(
      /^metric_format_string: cannot format/,
    );
    const s = create({
      type: 'spike_aggregation',
      options: {
        timeframe: { minutes: 5 },
        metric_agg_type: 'avg',
        metric_agg_key: 'x',
        spike_height: 2,
        spike_type: 'up',
      },
    }).def;
    expect(
      issues(s, {
        timeframe: { minutes: 5 },
        metric_agg_type: 'avg',
        metric_agg_key: 'x',
        spike_height: 2,
        spike_type: 'up',
        bucket_interval: { minutes: 1 },
      }),
    ).toEqual(['bucket_interval: is not supported by spike_aggregation (each query window is one value)']);
    const p = create({ type: 'percentage_match', options: percentBase }).def;
    expect(issues(p, { match_bucket_filter: { term: { a: 1 } } })).toEqual([
      'max_percentage: needs max_percentage or min_percentage (or both)',
    ]);
    expect(issues(p, { min_percentage: 1 })?.[0]).toMatch(/^match_bucket_filter: is required/);
    expect(issues(p, { ...percentBase, query_key: ['a', 'b'] })?.[0]).toMatch(
      /^query_key: percentage_match works with one/,
    );
  });

  it('match texts read like ElastAlert 2 (floats as Python prints them)', () => {
    const text = (type: string, options: Doc, match: Doc) => create({ type, options }).rule.matchText(match);
    const metricMatch = { '@timestamp': T, metric_cpu_pct_avg: 0.966666667 };
    expect(text('metric_aggregation', metricBase, metricMatch)).toBe(
      'Threshold violation, avg:cpu_pct 0.966666667 (min: 0.1 max : 0.8) \n\n',
    );
    expect(
      text('metric_aggregation', { ...metricBase, metric_format_string: '{:.2%}' }, metricMatch),
    ).toContain('96.67%');
    expect(
      text('metric_aggregation', { ...metricBase, metric_format_string: '%.2f' }, metricMatch),
    ).toContain('0.97');
    expect(
      text(
        'metric_aggregation',
        { metric_agg_type: 'max', metric_agg_key: 'event.count', max_threshold: 100 },
        {
          'metric_event.count_max': 501,
        },
      ),
    ).toBe('Threshold violation, max:event.count 501.0 (min: None max : 100) \n\n');
    expect(
      text(
        'metric_aggregation',
        { metric_agg_type: 'cardinality', metric_agg_key: 'pod', max_threshold: 5 },
        {
          metric_pod_cardinality: 7,
        },
      ),
    ).toBe('Threshold violation, cardinality:pod 7 (min: None max : 5) \n\n');

    const pm = { '@timestamp': T, percentage: 76.15894039742994, denominator: 100.666666667 };
    expect(text('percentage_match', percentBase, pm)).toBe(
      'Percentage violation, value: 76.15894039742994 (min: 25 max : 75) of 100.666666667 items\n\n',
    );
    expect(text('percentage_match', { ...percentBase, percentage_format_string: '{:.2f}' }, pm)).toContain(
      '76.16',
    );
    expect(text('percentage_match', { ...percentBase, percentage_format_string: '%.2f' }, pm)).toContain(
      '76.16',
    );
    expect(
      text(
        'percentage_match',
        { match_bucket_filter: {}, max_percentage: 10 },
        { percentage: 50, denominator: 8 },
      ),
    ).toBe('Percentage violation, value: 50.0 (min: None max : 10) of 8 items\n\n');

    const spike = {
      timeframe: { minutes: 5 },
      metric_agg_type: 'percentiles',
      metric_agg_key: 'bytes',
      percentile_range: 95,
      spike_type: 'up',
      spike_height: 1.5,
    };
    expect(text('spike_aggregation', spike, { '@timestamp': T, spike_count: 9879, reference_count: 0 })).toBe(
      'An abnormal percentiles of bytes (9879.0) occurred around 2024-05-14 10:00 UTC.\nPreceding that time, there was a percentiles of bytes of (0.0) within 0:05:00\n\n',
    );
    expect(
      text(
        'spike_aggregation',
        { ...spike, metric_agg_type: 'avg' },
        { '@timestamp': T, spike_count: 2 / 3, reference_count: 0.125 },
      ),
    ).toContain(
      '(0.67) occurred around 2024-05-14 10:00 UTC.\nPreceding that time, there was a avg of bytes of (0.12)',
    );
    expect(
      text(
        'spike_aggregation',
        { ...spike, metric_agg_type: 'value_count' },
        { '@timestamp': T, spike_count: 120, reference_count: 60 },
      ),
    ).toContain('(120) occurred');
  });
});
