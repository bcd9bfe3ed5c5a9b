import { describe, expect, it } from 'vitest';
import { isEsalertError } from '../../../src/errors/esalert-error.ts';
import type { EsQuery } from '../../../src/query/filters.ts';
import { javaDouble, quantile } from '../../../src/query/memory/aggregations.ts';
import { type MemoryDocument, createMemorySearchPort } from '../../../src/query/memory/memory-search-port.ts';

const SEC = 1000;
const MIN = 60_000;
const T = Date.parse('2024-05-14T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Eight events:
 *
 * | id | @timestamp   | reason  | count | namespace | type    |
 * | e0 | 00:00:30     | BackOff | 1     | prod      | Warning |
 * | e1 | 00:01:10     | BackOff | 4     | prod      | Warning |
 * | e2 | 00:01:50     | Pulled  | 2     | staging   | Normal  |
 * | e3 | 00:04:00     | Killing | 7     | prod      | Normal  |
 * | e4 | 00:04:59.999 | BackOff | 10    | staging   | Warning |
 * | e5 | 00:10:00     | Pulled  | -     | staging   | Normal  |
 * | e6 | 01:00:00     | Created | 3     | prod      | Normal  |
 * | e7 | 01:30:00     | BackOff | 6     | prod      | Warning |
 *
 * plus labels: e0 "a", e7 ["a", "b", "a"].
 */
const rows: [number, string, number | undefined, string, string][] = [
  [30 * SEC, 'BackOff', 1, 'prod', 'Warning'],
  [70 * SEC, 'BackOff', 4, 'prod', 'Warning'],
  [110 * SEC, 'Pulled', 2, 'staging', 'Normal'],
  [4 * MIN, 'Killing', 7, 'prod', 'Normal'],
  [5 * MIN - 1, 'BackOff', 10, 'staging', 'Warning'],
  [10 * MIN, 'Pulled', undefined, 'staging', 'Normal'],
  [60 * MIN, 'Created', 3, 'prod', 'Normal'],
  [90 * MIN, 'BackOff', 6, 'prod', 'Warning'],
];
const docs: MemoryDocument[] = rows.map(([at, reason, count, namespace, type], i) => ({
  _id: `e${i}`,
  _source: {
    '@timestamp': iso(T + at),
    event: { reason, type, namespace, ...(count === undefined ? {} : { count }) },
    ...(i === 0 ? { labels: 'a' } : i === 7 ? { labels: ['a', 'b', 'a'] } : {}),
  },
}));

const port = createMemorySearchPort(docs, { now: () => T + 90 * MIN });
const all = { match_all: {} };
const firstFive = { range: { '@timestamp': { lt: '2024-05-14T00:05:00Z' } } };

/** A response read loosely: the properties these tests follow. */
type Tree = {
  [
    K in
      | 'segments'
      | 'percentage_match_aggs'
      | 'bucket_aggs'
      | 'prod'
      | 'h'
      | 'r'
      | 't'
      | 'f'
      | 'w'
      | 'values'
      | 'buckets'
      | 'after_key'
      | 'sum_other_doc_count'
      | 0
      | 1
  ]: Tree;
};
const list = <T>(v: Tree) => v as unknown as T[];

async function aggs(request: Record<string, unknown>, query: EsQuery = all): Promise<Tree> {
  const res = await port.search({ index: 'events', query, size: 0, aggs: request });
  return res.aggregations as unknown as Tree;
}

async function fails(request: Record<string, unknown>, text: RegExp): Promise<void> {
  const err = await aggs(request).catch((e: unknown) => e);
  expect(isEsalertError(err, 'QUERY_SYNTAX'), String(err)).toBe(true);
  expect((err as Error).message).toMatch(text);
}

const histBucket = (at: number, docCount: number, extra: Record<string, unknown> = {}) => ({
  key_as_string: iso(T + at),
  key: T + at,
  doc_count: docCount,
  ...extra,
});

const terms = (buckets: { key: unknown; doc_count: number }[], other = 0) => ({
  doc_count_error_upper_bound: 0,
  sum_other_doc_count: other,
  buckets,
});

describe('in-memory aggregations', () => {
  it('date_range as the engine batches segments: keyed (from, to] ranges with terms per range', async () => {
    const range = (i: number, from: number, to: number) => ({
      key: `s${i}`,
      from: T + from + 1,
      to: T + to + 1,
    });
    const res = await aggs({
      segments: {
        date_range: {
          field: '@timestamp',
          ranges: [range(0, 0, 5 * MIN), range(1, 5 * MIN, 10 * MIN), range(2, 10 * MIN, 60 * MIN)],
          keyed: true,
        },
        aggs: { counts: { terms: { field: 'event.reason.keyword', size: 10, min_doc_count: 1 } } },
      },
    });
    expect(res.segments).toEqual({
      buckets: {
        s0: {
          from: T + 1,
          from_as_string: '2024-05-14T00:00:00.001Z',
          to: T + 5 * MIN + 1,
          to_as_string: '2024-05-14T00:05:00.001Z',
          doc_count: 5,
          counts: terms([
            { key: 'BackOff', doc_count: 3 },
            { key: 'Killing', doc_count: 1 },
            { key: 'Pulled', doc_count: 1 },
          ]),
        },
        s1: {
          from: T + 5 * MIN + 1,
          from_as_string: '2024-05-14T00:05:00.001Z',
          to: T + 10 * MIN + 1,
          to_as_string: '2024-05-14T00:10:00.001Z',
          doc_count: 1,
          counts: terms([{ key: 'Pulled', doc_count: 1 }]),
        },
        s2: {
          from: T + 10 * MIN + 1,
          from_as_string: '2024-05-14T00:10:00.001Z',
          to: T + 60 * MIN + 1,
          to_as_string: '2024-05-14T01:00:00.001Z',
          doc_count: 1,
          counts: terms([{ key: 'Created', doc_count: 1 }]),
        },
      },
    });
  });

  it('date_range unkeyed: ranges sorted by from, default keys with * for open ends, date math with now', async () => {
    const res = await aggs({
      r: {
        date_range: {
          field: '@timestamp',
          ranges: [
            { from: '2024-05-14T01:00:00Z' },
            { to: '2024-05-14T00:05:00Z' },
            { from: 'now-1h', to: 'now' },
          ],
        },
      },
    });
    expect(res.r.buckets).toEqual([
      {
        key: '*-2024-05-14T00:05:00.000Z',
        to: T + 5 * MIN,
        to_as_string: '2024-05-14T00:05:00.000Z',
        doc_count: 5,
      },
      {
        key: '2024-05-14T00:30:00.000Z-2024-05-14T01:30:00.000Z',
        from: T + 30 * MIN,
        from_as_string: '2024-05-14T00:30:00.000Z',
        to: T + 90 * MIN,
        to_as_string: '2024-05-14T01:30:00.000Z',
        doc_count: 1, // to is exclusive: e7 at 01:30 is out
      },
      {
        key: '2024-05-14T01:00:00.000Z-*',
        from: T + 60 * MIN,
        from_as_string: '2024-05-14T01:00:00.000Z',
        doc_count: 2,
      },
    ]);
    const formatted = await aggs({
      r: {
        date_range: {
          field: '@timestamp',
          format: 'yyyy-MM-dd HH:mm',
          time_zone: '+02:00',
          ranges: [{ from: '2024-05-14 02:00', to: '2024-05-14 02:05' }],
        },
      },
    });
    expect(formatted.r.buckets).toEqual([
      {
        key: '2024-05-14 02:00-2024-05-14 02:05',
        from: T,
        from_as_string: '2024-05-14 02:00',
        to: T + 5 * MIN,
        to_as_string: '2024-05-14 02:05',
        doc_count: 5,
      },
    ]);
  });

  it('range over numbers: keys as Java prints doubles', async () => {
    const res = await aggs({
      r: { range: { field: 'event.count', ranges: [{ from: 7 }, { to: 3 }, { from: 3, to: 7 }] } },
    });
    expect(res.r.buckets).toEqual([
      { key: '*-3.0', to: 3, doc_count: 2 },
      { key: '3.0-7.0', from: 3, to: 7, doc_count: 3 },
      { key: '7.0-*', from: 7, doc_count: 2 },
    ]);
  });

  it('date_histogram: fixed_interval with empty buckets between (min_doc_count 0) and metric sub-aggregations', async () => {
    const res = await aggs(
      {
        h: {
          date_histogram: { field: '@timestamp', fixed_interval: '1m' },
          aggs: { a: { avg: { field: 'event.count' } } },
        },
      },
      firstFive,
    );
    expect(res.h.buckets).toEqual([
      histBucket(0, 1, { a: { value: 1 } }),
      histBucket(MIN, 2, { a: { value: 3 } }),
      histBucket(2 * MIN, 0, { a: { value: null } }),
      histBucket(3 * MIN, 0, { a: { value: null } }),
      histBucket(4 * MIN, 2, { a: { value: 8.5 } }),
    ]);
    const dense = await aggs(
      { h: { date_histogram: { field: '@timestamp', fixed_interval: '60s', min_doc_count: 1 } } },
      firstFive,
    );
    expect(list<{ doc_count: number }>(dense.h.buckets).map((b) => b.doc_count)).toEqual([1, 2, 2]);
    const none = await aggs(
      { h: { date_histogram: { field: '@timestamp', fixed_interval: '1m' } } },
      {
        match_none: {},
      },
    );
    expect(none.h).toEqual({ buckets: [] });
  });

  it('date_histogram: offset, time zones, calendar intervals', async () => {
    const offset = await aggs(
      { h: { date_histogram: { field: '@timestamp', fixed_interval: '1m', offset: '+30s' } } },
      firstFive,
    );
    expect(offset.h.buckets).toEqual([
      histBucket(30 * SEC, 2),
      histBucket(90 * SEC, 1),
      histBucket(150 * SEC, 0),
      histBucket(210 * SEC, 1),
      histBucket(270 * SEC, 1),
    ]);
    const zoned = await aggs({
      h: {
        date_histogram: {
          field: '@timestamp',
          calendar_interval: 'hour',
          time_zone: '+01:30',
          min_doc_count: 1,
        },
      },
    });
    expect(zoned.h.buckets).toEqual([
      { key_as_string: '2024-05-14T01:00:00.000+01:30', key: T - 30 * MIN, doc_count: 6 },
      { key_as_string: '2024-05-14T02:00:00.000+01:30', key: T + 30 * MIN, doc_count: 1 },
      { key_as_string: '2024-05-14T03:00:00.000+01:30', key: T + 90 * MIN, doc_count: 1 },
    ]);
    const day = await aggs({ h: { date_histogram: { field: '@timestamp', calendar_interval: '1d' } } });
    expect(day.h.buckets).toEqual([histBucket(0, 8)]);
    const month = await aggs({ h: { date_histogram: { field: '@timestamp', calendar_interval: 'month' } } });
    expect(month.h.buckets).toEqual([
      { key_as_string: '2024-05-01T00:00:00.000Z', key: Date.parse('2024-05-01T00:00:00Z'), doc_count: 8 },
    ]);
  });

  it('date_histogram: extended_bounds, hard_bounds (max exclusive), keyed with a format, order', async () => {
    const extended = await aggs(
      {
        h: {
          date_histogram: {
            field: '@timestamp',
            fixed_interval: '5m',
            extended_bounds: { min: '2024-05-13T23:50:00Z', max: '2024-05-14T00:12:00Z' },
          },
        },
      },
      firstFive,
    );
    expect(extended.h.buckets).toEqual([
      histBucket(-10 * MIN, 0),
      histBucket(-5 * MIN, 0),
      histBucket(0, 5),
      histBucket(5 * MIN, 0),
      histBucket(10 * MIN, 0),
    ]);
    const hard = await aggs(
      {
        h: {
          date_histogram: {
            field: '@timestamp',
            fixed_interval: '1m',
            hard_bounds: { min: '2024-05-14T00:01:00Z', max: '2024-05-14T00:04:00Z' },
          },
        },
      },
      firstFive,
    );
    expect(hard.h.buckets).toEqual([histBucket(MIN, 2)]);
    const keyed = await aggs(
      {
        h: {
          date_histogram: {
            field: '@timestamp',
            fixed_interval: '1m',
            min_doc_count: 1,
            keyed: true,
            format: 'HH:mm',
          },
        },
      },
      firstFive,
    );
    expect(keyed.h.buckets).toEqual({
      '00:00': { key_as_string: '00:00', key: T, doc_count: 1 },
      '00:01': { key_as_string: '00:01', key: T + MIN, doc_count: 2 },
      '00:04': { key_as_string: '00:04', key: T + 4 * MIN, doc_count: 2 },
    });
    const byCount = await aggs(
      { h: { date_histogram: { field: '@timestamp', fixed_interval: '1m', order: { _count: 'desc' } } } },
      firstFive,
    );
    expect(list<{ key: number }>(byCount.h.buckets).map((b) => (b.key - T) / MIN)).toEqual([1, 4, 0, 2, 3]);
  });

  it('metric aggregations, with Elasticsearch shapes for dates and for no values', async () => {
    const res = await aggs({
      avg: { avg: { field: 'event.count' } },
      sum: { sum: { field: 'event.count' } },
      min: { min: { field: 'event.count' } },
      max: { max: { field: 'event.count' } },
      vc: { value_count: { field: 'event.count' } },
      vcKeyword: { value_count: { field: 'event.reason.keyword' } },
      vcLabels: { value_count: { field: 'labels.keyword' } },
      card: { cardinality: { field: 'event.reason.keyword' } },
      cardCount: { cardinality: { field: 'event.count' } },
      pct: { percentiles: { field: 'event.count', percents: [50, 0, 100, 25] } },
      pctList: { percentiles: { field: 'event.count', percents: [50], keyed: false } },
      stats: { stats: { field: 'event.count' } },
      first: { min: { field: '@timestamp' } },
      last: { max: { field: '@timestamp' } },
    });
    expect(res).toEqual({
      avg: { value: 33 / 7 },
      sum: { value: 33 },
      min: { value: 1 },
      max: { value: 10 },
      vc: { value: 7 },
      vcKeyword: { value: 8 },
      vcLabels: { value: 3 }, // keyword values are a set per document: ["a", "b", "a"] counts 2
      card: { value: 4 },
      cardCount: { value: 7 },
      // sorted: 1 2 3 4 6 7 10; rank q×6 interpolated
      pct: { values: { '0.0': 1, '25.0': 2.5, '50.0': 4, '100.0': 10 } },
      pctList: { values: [{ key: 50, value: 4 }] },
      stats: { count: 7, min: 1, max: 10, avg: 33 / 7, sum: 33 },
      first: { value: T + 30 * SEC, value_as_string: '2024-05-14T00:00:30.000Z' },
      last: { value: T + 90 * MIN, value_as_string: '2024-05-14T01:30:00.000Z' },
    });
    const empty = await aggs(
      {
        avg: { avg: { field: 'event.count' } },
        sum: { sum: { field: 'event.count' } },
        sumDates: { sum: { field: '@timestamp' } },
        min: { min: { field: '@timestamp' } },
        vc: { value_count: { field: 'event.count' } },
        card: { cardinality: { field: 'event.reason.keyword' } },
        pct: { percentiles: { field: 'event.count', percents: [50] } },
        stats: { stats: { field: 'event.count' } },
        unmapped: { avg: { field: 'nothing' } },
      },
      { match_none: {} },
    );
    expect(empty).toEqual({
      avg: { value: null },
      sum: { value: 0 },
      sumDates: { value: 0, value_as_string: '1970-01-01T00:00:00.000Z' },
      min: { value: null },
      vc: { value: 0 },
      card: { value: 0 },
      pct: { values: { '50.0': null } },
      stats: { count: 0, min: null, max: null, avg: null, sum: 0 },
      unmapped: { value: null },
    });
  });

  it('percentiles interpolate between ranks as Elasticsearch (quantile over all values)', () => {
    const sorted = Float64Array.from([1, 2, 3, 4, 6, 7, 10]);
    expect(quantile(sorted, 0.95)).toBeCloseTo(9.1, 10); // rank 5.7: 7 + 0.7 × (10 − 7)
    expect(quantile(sorted, 0)).toBe(1);
    expect(quantile(sorted, 1)).toBe(10);
    expect(quantile(new Float64Array(0), 0.5)).toBeNaN();
    expect(quantile(Float64Array.from([5]), 0.5)).toBe(5);
  });

  it("writes doubles as Java's Double.toString (percentile keys, range keys)", () => {
    expect(javaDouble(50)).toBe('50.0');
    expect(javaDouble(99.9)).toBe('99.9');
    expect(javaDouble(0.001)).toBe('0.001');
    expect(javaDouble(0.0001)).toBe('1.0E-4');
    expect(javaDouble(1e7)).toBe('1.0E7');
    expect(javaDouble(1715648400000)).toBe('1.7156484E12');
    expect(javaDouble(0)).toBe('0.0');
  });

  it('terms with sub-aggregations, ordered by a metric, a stats value or a path through a filter', async () => {
    const byMax = await aggs({
      t: {
        terms: { field: 'event.reason.keyword', order: { mx: 'desc' } },
        aggs: { mx: { max: { field: 'event.count' } } },
      },
    });
    expect(byMax.t).toEqual(
      terms([
        { key: 'BackOff', doc_count: 4, mx: { value: 10 } },
        { key: 'Killing', doc_count: 1, mx: { value: 7 } },
        { key: 'Created', doc_count: 1, mx: { value: 3 } },
        { key: 'Pulled', doc_count: 2, mx: { value: 2 } },
      ] as never),
    );
    const byAvg = await aggs({
      t: {
        terms: { field: 'event.reason.keyword', size: 3, order: { 'st.avg': 'asc' } },
        aggs: { st: { stats: { field: 'event.count' } } },
      },
    });
    expect(list<{ key: string }>(byAvg.t.buckets).map((b) => b.key)).toEqual([
      'Pulled',
      'Created',
      'BackOff',
    ]);
    expect(byAvg.t.sum_other_doc_count).toBe(1);
    const throughFilter = await aggs({
      t: {
        terms: { field: 'event.reason.keyword', order: { 'w>mx': 'desc' } },
        aggs: {
          w: {
            filter: { term: { 'event.type.keyword': 'Warning' } },
            aggs: { mx: { max: { field: 'event.count' } } },
          },
        },
      },
    });
    // no Warning events: max is -Infinity internally, so they sort last, by key
    expect(list<{ key: string }>(throughFilter.t.buckets).map((b) => b.key)).toEqual([
      'BackOff',
      'Created',
      'Killing',
      'Pulled',
    ]);
    expect(throughFilter.t.buckets[0].w).toEqual({ doc_count: 4, mx: { value: 10 } });
    expect(throughFilter.t.buckets[1].w).toEqual({ doc_count: 0, mx: { value: null } });
    const byPercentile = await aggs({
      t: {
        terms: { field: 'event.namespace.keyword', order: { 'p.50': 'asc' } },
        aggs: { p: { percentiles: { field: 'event.count', percents: [50] } } },
      },
    });
    // prod: 1 3 4 6 7 → 4; staging: 2 10 → 6
    expect(list<{ key: string }>(byPercentile.t.buckets).map((b) => b.key)).toEqual(['prod', 'staging']);
    await fails(
      { t: { terms: { field: 'event.reason.keyword', order: { nope: 'desc' } } } },
      /Invalid aggregation order path \[nope\]/,
    );
    await fails(
      {
        t: {
          terms: { field: 'event.reason.keyword', order: { x: 'desc' } },
          aggs: { x: { terms: { field: 'event.type.keyword' } } },
        },
      },
      /Buckets can only be sorted on a sub-aggregator path/,
    );
    await fails(
      {
        t: {
          terms: { field: 'event.reason.keyword', order: { st: 'desc' } },
          aggs: { st: { stats: { field: 'event.count' } } },
        },
      },
      /a metric name must be specified/,
    );
  });

  it('filters as percentage_match asks, named (sorted by name) and anonymous, with other buckets', async () => {
    const pm = await aggs({
      percentage_match_aggs: {
        filters: {
          other_bucket: true,
          filters: { match_bucket: { bool: { must: [{ term: { 'event.type.keyword': 'Warning' } }] } } },
        },
      },
    });
    expect(pm.percentage_match_aggs).toEqual({
      buckets: { match_bucket: { doc_count: 4 }, _other_: { doc_count: 4 } },
    });
    const named = await aggs({
      f: {
        filters: {
          keyed: false,
          other_bucket_key: 'rest',
          filters: {
            z: { term: { 'event.namespace.keyword': 'prod' } },
            a: { term: { 'event.reason.keyword': 'Pulled' } },
          },
        },
        aggs: { n: { value_count: { field: 'event.count' } } },
      },
    });
    expect(named.f.buckets).toEqual([
      { key: 'a', doc_count: 2, n: { value: 1 } },
      { key: 'z', doc_count: 5, n: { value: 5 } },
      { key: 'rest', doc_count: 1, n: { value: 1 } },
    ]);
    const anonymous = await aggs({
      f: {
        filters: { other_bucket_key: 'rest', filters: [{ term: { 'event.type.keyword': 'Warning' } }, all] },
      },
    });
    expect(anonymous.f.buckets).toEqual([{ doc_count: 4 }, { doc_count: 8 }, { doc_count: 0 }]);
    const single = await aggs({
      prod: {
        filter: { term: { 'event.namespace.keyword': 'prod' } },
        aggs: { c: { value_count: { field: 'event.count' } } },
      },
    });
    expect(single.prod).toEqual({ doc_count: 5, c: { value: 5 } });
  });

  it('nests as the engine asks for metric aggregation rules: terms, then date_histogram, then the metric', async () => {
    const res = await aggs({
      bucket_aggs: {
        terms: { field: 'event.namespace.keyword', size: 50, min_doc_count: 1 },
        aggs: {
          interval_aggs: {
            date_histogram: { field: '@timestamp', fixed_interval: '30m' },
            aggs: {
              metric_count_max: { max: { field: 'event.count' } },
              metric_count_percentiles: { percentiles: { field: 'event.count', percents: [95] } },
            },
          },
        },
      },
    });
    const b = (at: number, n: number, max: number | null, p95: number | null) =>
      histBucket(at, n, {
        metric_count_max: { value: max },
        metric_count_percentiles: { values: { '95.0': p95 } },
      });
    expect(res.bucket_aggs).toEqual(
      terms([
        {
          key: 'prod',
          doc_count: 5,
          interval_aggs: {
            buckets: [
              b(0, 3, 7, 4 + (0.95 * 2 - 1) * 3),
              b(30 * MIN, 0, null, null),
              b(60 * MIN, 1, 3, 3),
              b(90 * MIN, 1, 6, 6),
            ],
          },
        },
        { key: 'staging', doc_count: 3, interval_aggs: { buckets: [b(0, 3, 10, 2 + 0.95 * 8)] } },
      ] as never),
    );
  });

  it('composite: pages of keys in order, after_key, missing_bucket', async () => {
    const sources = [
      { r: { terms: { field: 'event.reason.keyword' } } },
      { n: { terms: { field: 'event.namespace.keyword' } } },
    ];
    const page1 = await aggs({ values: { composite: { size: 3, sources } } });
    expect(page1.values).toEqual({
      after_key: { r: 'Created', n: 'prod' },
      buckets: [
        { key: { r: 'BackOff', n: 'prod' }, doc_count: 3 },
        { key: { r: 'BackOff', n: 'staging' }, doc_count: 1 },
        { key: { r: 'Created', n: 'prod' }, doc_count: 1 },
      ],
    });
    const page2 = await aggs({ values: { composite: { size: 3, sources, after: page1.values.after_key } } });
    expect(page2.values).toEqual({
      after_key: { r: 'Pulled', n: 'staging' },
      buckets: [
        { key: { r: 'Killing', n: 'prod' }, doc_count: 1 },
        { key: { r: 'Pulled', n: 'staging' }, doc_count: 2 },
      ],
    });
    const page3 = await aggs({ values: { composite: { size: 3, sources, after: page2.values.after_key } } });
    expect(page3.values).toEqual({ buckets: [] });
    const missing = await aggs({
      values: { composite: { sources: [{ c: { terms: { field: 'event.count', missing_bucket: true } } }] } },
    });
    expect(list<{ key: { c: unknown } }>(missing.values.buckets).map((b) => b.key.c)).toEqual([
      null,
      1,
      2,
      3,
      4,
      6,
      7,
      10,
    ]);
  });

  it('refuses what Elasticsearch refuses, and what it cannot evaluate, naming it', async () => {
    await fails(
      { g: { geo_bounds: { field: 'location' } } },
      /the aggregation \[geo_bounds\].*not supported/,
    );
    await fails(
      { x: { max: { field: 'event.count' }, min: { field: 'event.count' } } },
      /Found two aggregation type definitions in \[x\]/,
    );
    await fails(
      { x: { max: { field: 'event.count' }, aggs: { y: { min: { field: 'event.count' } } } } },
      /Aggregator \[x\] of type \[max\] cannot accept sub-aggregations/,
    );
    await fails({ x: { avg: { field: 'event.reason.keyword' } } }, /not supported for aggregation \[avg\]/);
    await fails({ x: { avg: { field: 'event.reason' } } }, /Fielddata is disabled on \[event.reason\]/);
    await fails({ x: { avg: { script: 'doc.x' } } }, /scripts .*not supported/);
    await fails({ x: { percentiles: { field: 'event.count', hdr: {} } } }, /hdr.*not supported/);
    await fails(
      { h: { date_histogram: { field: '@timestamp', interval: '1m' } } },
      /unknown field \[interval\]/,
    );
    await fails(
      { h: { date_histogram: { field: '@timestamp', fixed_interval: '1w' } } },
      /failed to parse field \[fixed_interval\]/,
    );
    await fails(
      { h: { date_histogram: { field: '@timestamp', fixed_interval: '1M' } } },
      /failed to parse field \[fixed_interval\]/,
    );
    await fails(
      { h: { date_histogram: { field: '@timestamp', calendar_interval: '2d' } } },
      /failed to parse field \[calendar_interval\]/,
    );
    await fails({ h: { date_histogram: { field: '@timestamp' } } }, /Invalid interval specified/);
    await fails(
      { h: { date_histogram: { field: '@timestamp', fixed_interval: '1ms' } } },
      /Trying to create too many buckets/,
    );
    await fails(
      { t: { terms: { field: 'event.reason.keyword', include: 'a.*' } } },
      /terms option \[include\]/,
    );
    await fails(
      { t: { terms: { field: 'event.reason.keyword' }, aggs: { c: { composite: { sources: [] } } } } },
      /cannot be used with a parent aggregation/,
    );
  });
});
