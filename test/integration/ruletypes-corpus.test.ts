/**
 * ElastAlert 2's other rule types through the engine, against the real Elasticsearch and the
 * Kubernetes event corpus: each rule must fire exactly where the data says it should. Expected
 * results come from the corpus manifest or from Elasticsearch queries written independently of
 * the rule types (date ranges, terms and metric aggregations over the same windows).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startApp } from '../../src/app/app.ts';
import { FakeClock } from '../../src/model/clock.ts';
import { SecretRegistry } from '../../src/app/logger.ts';
import type { EsConnection } from '../../src/query/es-client.ts';
import { connectTestEs, esHostPort, testEs, uniqueName } from './helpers.ts';
import { type Receiver, startReceiver } from './support/http-receiver.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const silent = pino({ level: 'silent' });
const MIN = 60_000;
const SEGMENT = 15 * MIN;
/** An instant as the engine writes it in range queries (no milliseconds when whole). */
const isoS = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

type Doc = Record<string, unknown>;
const ev = (m: Doc) =>
  m.event as {
    reason: string;
    type: string;
    involvedObject: { name: string; namespace?: string; kind: string };
  };

describe('blacklist, whitelist, change, cardinality, aggregation types and a custom type over the corpus', () => {
  let receiver: Receiver;
  let ws: Workspace;
  let es: EsConnection;
  let app: App;
  const wb = uniqueName('esalert_types');
  const manifest = () => testEs().corpus.manifest;
  const posted = (path: string): Doc[] =>
    receiver.received.filter((x) => x.path === path).map((x) => x.json as Doc);
  const count = async (query: Doc) => (await es.client.count({ index: 'eventrouter-*', query })).count;
  /**
   * The engine's segments over the day as date ranges. A segment is queried as (start, end] with
   * whole-second times written without milliseconds (as ElastAlert 2 writes them), which
   * Elasticsearch rounds up to the last millisecond of that second: [start + 1s, end + 1s).
   */
  const segmentRanges = () => {
    const start = Date.parse(manifest().start);
    return Array.from({ length: 96 }, (_, i) => ({
      key: isoS(start + (i + 1) * SEGMENT),
      from: start + i * SEGMENT + 1000,
      to: start + (i + 1) * SEGMENT + 1000,
    }));
  };

  beforeAll(async () => {
    receiver = await startReceiver({ status: 200, body: 'ok' });
    es = await connectTestEs();
    ws = makeWorkspace({
      ...esHostPort(),
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      writeback_index: wb,
    });
    const post = (path: string) => ({
      alert: ['post'],
      http_post_url: `${receiver.url}${path}`,
      realert: { minutes: 0 },
    });
    // beside the rules: rules may read files only inside the rules folders (docs/security.md)
    const list = join(ws.rulesDir, 'node-trouble.txt');
    writeFileSync(list, 'SystemOOM\nRebooted\n');
    const warning = { term: { 'event.type.keyword': 'Warning' } };
    const namespaces = [
      'prod',
      'payments',
      'staging',
      'search',
      'monitoring',
      'kube-system',
      'default',
      'batch',
    ];

    ws.writeRule('blacklist.yaml', {
      name: 'bad-reasons',
      type: 'blacklist',
      index: 'eventrouter-*',
      compare_key: 'event.reason',
      blacklist: [`!file ${list}`, 'FailedScheduling'],
      ...post('/blacklist'),
    });
    ws.writeRule('whitelist-null.yaml', {
      name: 'warnings-outside-namespaces',
      type: 'whitelist',
      index: 'eventrouter-*',
      compare_key: 'event.involvedObject.namespace',
      whitelist: namespaces,
      ignore_null: false,
      filter: [warning],
      ...post('/whitelist-null'),
    });
    ws.writeRule('whitelist.yaml', {
      name: 'warnings-in-unexpected-namespaces',
      type: 'whitelist',
      index: 'eventrouter-*',
      compare_key: 'event.involvedObject.namespace',
      whitelist: namespaces.filter((n) => n !== 'staging'),
      ignore_null: true,
      filter: [warning],
      ...post('/whitelist'),
    });
    ws.writeRule('change.yaml', {
      name: 'node-type-change',
      type: 'change',
      index: 'eventrouter-*',
      query_key: 'event.involvedObject.name.keyword',
      compare_key: 'event.type',
      ignore_null: true,
      filter: [{ term: { 'event.involvedObject.kind.keyword': 'Node' } }],
      ...post('/change'),
    });
    ws.writeRule('cardinality.yaml', {
      name: 'unhealthy-pods-per-namespace',
      type: 'cardinality',
      index: 'eventrouter-*',
      query_key: 'event.involvedObject.namespace.keyword',
      cardinality_field: 'event.involvedObject.name.keyword',
      max_cardinality: 3,
      timeframe: { minutes: 10 },
      filter: [{ term: { 'event.reason.keyword': 'Unhealthy' } }],
      ...post('/cardinality'),
    });
    ws.writeRule('metric.yaml', {
      name: 'max-event-count-per-namespace',
      type: 'metric_aggregation',
      index: 'eventrouter-*',
      metric_agg_key: 'event.count',
      metric_agg_type: 'max',
      max_threshold: 100,
      query_key: 'event.involvedObject.namespace.keyword',
      ...post('/metric'),
    });
    // metric_agg_script: a painless script instead of a field (servers with painless only)
    if (testEs().painless)
      ws.writeRule('metric-script.yaml', {
        name: 'max-double-event-count-per-namespace',
        type: 'metric_aggregation',
        index: 'eventrouter-*',
        metric_agg_key: 'event.count',
        metric_agg_type: 'max',
        metric_agg_script: { script: { source: "doc['event.count'].value * 2", lang: 'painless' } },
        max_threshold: 200,
        query_key: 'event.involvedObject.namespace.keyword',
        ...post('/metric-script'),
      });
    ws.writeRule('metric-buckets.yaml', {
      name: 'max-event-count-per-5-minutes',
      type: 'metric_aggregation',
      index: 'eventrouter-*',
      metric_agg_key: 'event.count',
      metric_agg_type: 'max',
      max_threshold: 400,
      bucket_interval: { minutes: 5 },
      metric_format_string: '%.0f',
      ...post('/metric-buckets'),
    });
    ws.writeRule('spike-aggregation.yaml', {
      name: 'unhealthy-spike',
      type: 'spike_aggregation',
      index: 'eventrouter-*',
      metric_agg_key: 'event.count',
      metric_agg_type: 'value_count',
      timeframe: { minutes: 15 },
      spike_height: 5,
      spike_type: 'up',
      threshold_cur: 20,
      filter: [{ term: { 'event.reason.keyword': 'Unhealthy' } }],
      ...post('/spike-aggregation'),
    });
    ws.writeRule('percentage.yaml', {
      name: 'warning-share',
      type: 'percentage_match',
      index: 'eventrouter-*',
      match_bucket_filter: [warning],
      max_percentage: 15,
      min_denominator: 100,
      percentage_format_string: '{:.1f}',
      ...post('/percentage'),
    });
    ws.writeRule('workload.yaml', {
      name: 'workload-spread',
      type: 'modules/example_rule_type.ts',
      index: 'eventrouter-*',
      filter: [warning],
      min_pods: 3,
      timeframe: { minutes: 10 },
      ...post('/workload'),
    });
    app = await startApp(
      { configFile: ws.config, start: manifest().start, end: manifest().end },
      {
        env: () => undefined,
        clock: new FakeClock('2024-05-15T00:30:00Z'),
        logger: silent,
        secrets: new SecretRegistry(),
      },
    );
    await app.finished;
    await app.stop();
  }, 180_000);

  afterAll(async () => {
    await receiver.close();
    await es.client.indices.delete({ index: `${wb}*` }).catch(() => {});
    await es.close();
    ws.remove();
  });

  it('loads every rule', () => {
    expect(app.loaded.errors.map((e) => e.error.message)).toEqual([]);
    expect(app.rules.size).toBe(testEs().painless ? 11 : 10); // metric-script.yaml needs painless
  });

  it('blacklist (with a !file list) alerts on every document with a listed reason, and only those', async () => {
    const alerts = posted('/blacklist');
    const expected = await count({
      terms: { 'event.reason.keyword': ['SystemOOM', 'Rebooted', 'FailedScheduling'] },
    });
    expect(expected).toBeGreaterThan(70);
    expect(alerts).toHaveLength(expected);
    expect(new Set(alerts.map((m) => ev(m).reason))).toEqual(
      new Set(['SystemOOM', 'Rebooted', 'FailedScheduling']),
    );
  });

  it('whitelist alerts on Warning events outside the listed namespaces; ignore_null decides about cluster-scoped objects', async () => {
    const nulls = posted('/whitelist-null');
    const clusterScoped = await count({
      bool: {
        filter: [{ term: { 'event.type.keyword': 'Warning' } }],
        must_not: [{ exists: { field: 'event.involvedObject.namespace' } }],
      },
    });
    expect(clusterScoped).toBe(12);
    expect(nulls).toHaveLength(clusterScoped);
    expect(nulls.every((m) => ev(m).involvedObject.kind === 'Node')).toBe(true);

    const staging = posted('/whitelist');
    const expected = await count({
      bool: {
        filter: [
          { term: { 'event.type.keyword': 'Warning' } },
          { term: { 'event.involvedObject.namespace.keyword': 'staging' } },
        ],
      },
    });
    expect(expected).toBeGreaterThan(100);
    expect(staging).toHaveLength(expected);
    expect(new Set(staging.map((m) => ev(m).involvedObject.namespace))).toEqual(new Set(['staging']));
  });

  it('change alerts each time a node event switches between Normal and Warning, with old and new values', async () => {
    const res = await es.client.search<Doc>({
      index: 'eventrouter-*',
      size: 1000,
      query: { term: { 'event.involvedObject.kind.keyword': 'Node' } },
      sort: [{ '@timestamp': 'asc' }],
    });
    const last = new Map<string, string>();
    const expected: [string, string, string][] = [];
    for (const h of res.hits.hits) {
      const e = ev(h._source!);
      const before = last.get(e.involvedObject.name);
      if (before !== undefined && before !== e.type) expected.push([e.involvedObject.name, before, e.type]);
      last.set(e.involvedObject.name, e.type);
    }
    const alerts = posted('/change');
    expect(
      alerts.map((m) => [
        ev(m).involvedObject.name,
        (m.old_value as string[])[0],
        (m.new_value as string[])[0],
      ]),
    ).toEqual(expected);
    expect(new Set(expected.map((e) => e[0]))).toEqual(new Set(['node-2', 'node-4']));
    const first = alerts[0]!;
    expect(ev(first).reason).toBe('Rebooted');
    expect(first).toMatchObject({ old_value: ['Normal'], new_value: ['Warning'] });
  });

  it('cardinality fires once more than 3 pods of one namespace report Unhealthy within 10 minutes: the probe burst', async () => {
    const burst = manifest().probeBurst;
    const alerts = posted('/cardinality');
    expect(alerts.length).toBeGreaterThan(burst.docs - 20);
    for (const m of alerts) {
      expect(ev(m).involvedObject.namespace).toBe(burst.namespace);
      expect(String(m['@timestamp']) >= burst.from).toBe(true);
      // eventrouter re-emits the burst's events at the next two informer resyncs
      expect(Date.parse(String(m['@timestamp']))).toBeLessThan(Date.parse(burst.to) + 60 * MIN);
    }
    // the first alert is the fourth burst pod to report
    const firsts = await es.client.search({
      index: 'eventrouter-*',
      size: 0,
      query: { terms: { 'event.involvedObject.name.keyword': burst.pods } },
      aggs: {
        pods: {
          terms: { field: 'event.involvedObject.name.keyword', size: 10 },
          aggs: { first: { min: { field: '@timestamp' } } },
        },
      },
    });
    const order = (
      firsts.aggregations!.pods as { buckets: { key: string; first: { value: number } }[] }
    ).buckets
      .sort((a, b) => a.first.value - b.first.value)
      .map((b) => b.key);
    expect(ev(alerts[0]!).involvedObject.name).toBe(order[3]);
  });

  it('metric_aggregation: max event.count per namespace above 100, once per 15-minute window and namespace', async () => {
    const res = await es.client.search({
      index: 'eventrouter-*',
      size: 0,
      aggs: {
        segments: {
          date_range: { field: '@timestamp', ranges: segmentRanges(), keyed: true },
          aggs: {
            ns: {
              terms: { field: 'event.involvedObject.namespace.keyword', size: 50 },
              aggs: { m: { max: { field: 'event.count' } } },
            },
          },
        },
      },
    });
    const buckets = (
      res.aggregations!.segments as {
        buckets: Record<string, { ns: { buckets: { key: string; m: { value: number } }[] } }>;
      }
    ).buckets;
    const expected: [string, string, number][] = [];
    for (const [end, seg] of Object.entries(buckets))
      for (const b of seg.ns.buckets) if (b.m.value > 100) expected.push([end, b.key, b.m.value]);
    const alerts = posted('/metric').map((m) => {
      const ns = (m.event as { involvedObject: { namespace: { keyword: string } } }).involvedObject.namespace
        .keyword;
      expect(m.metric_agg_value).toBe(m['metric_event.count_max']);
      return [String(m['@timestamp']), ns, Number(m['metric_event.count_max'])] as [string, string, number];
    });
    const sort = (x: [string, string, number][]) =>
      x.sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1]));
    expect(sort(alerts)).toEqual(sort(expected));
    expect(new Set(expected.map((e) => e[1]))).toEqual(new Set(['prod', 'payments', 'staging']));
  });

  it.runIf(testEs().painless)(
    'metric_aggregation with metric_agg_script: the server runs the painless script (twice the max, twice the threshold)',
    async () => {
      const key = (m: Doc) =>
        `${String(m['@timestamp'])} ${(m.event as { involvedObject: { namespace: { keyword: string } } }).involvedObject.namespace.keyword}`;
      const byField = new Map(posted('/metric').map((m) => [key(m), Number(m['metric_event.count_max'])]));
      const byScript = posted('/metric-script').map(
        (m) => [key(m), Number(m['metric_event.count_max'])] as const,
      );
      expect(byScript.length).toBeGreaterThan(0);
      expect(byScript.length).toBe(byField.size);
      for (const [k, v] of byScript) expect(v).toBe(2 * byField.get(k)!);
    },
  );

  it('metric_aggregation with bucket_interval: one check per 5-minute bucket, timed by the bucket', async () => {
    const res = await es.client.search({
      index: 'eventrouter-*',
      size: 0,
      query: { range: { '@timestamp': { gte: manifest().start, lt: manifest().end } } },
      aggs: {
        b: {
          date_histogram: { field: '@timestamp', fixed_interval: '5m' },
          aggs: { m: { max: { field: 'event.count' } } },
        },
      },
    });
    const expected = (
      res.aggregations!.b as { buckets: { key_as_string: string; m: { value: number | null } }[] }
    ).buckets
      .filter((b) => (b.m.value ?? 0) > 400)
      .map((b) => [b.key_as_string.replace('.000Z', 'Z'), b.m.value, String(b.m.value)]);
    expect(expected.length).toBeGreaterThan(3);
    const alerts = posted('/metric-buckets').map((m) => [
      m['@timestamp'],
      m['metric_event.count_max'],
      m['metric_event.count_max_formatted'],
    ]);
    expect(alerts).toEqual(expected);
  });

  it('spike_aggregation fires once, for the window of the readiness-probe burst, with its value and the one before', async () => {
    const alerts = posted('/spike-aggregation');
    expect(alerts).toHaveLength(1);
    const m = alerts[0]!;
    const burst = manifest().probeBurst;
    const end = Date.parse(String(m['@timestamp']));
    expect(end % SEGMENT).toBe(0);
    expect(end).toBeGreaterThan(Date.parse(burst.from));
    expect(end - SEGMENT).toBeLessThan(Date.parse(burst.to));
    const unhealthy = (from: number, to: number) =>
      count({
        bool: {
          filter: [
            { term: { 'event.reason.keyword': 'Unhealthy' } },
            {
              range: { '@timestamp': { gt: isoS(from), lte: isoS(to) } },
            },
          ],
        },
      });
    expect(m.spike_count).toBe(await unhealthy(end - SEGMENT, end));
    expect(m.reference_count).toBe(await unhealthy(end - 2 * SEGMENT, end - SEGMENT));
    expect(Number(m.spike_count)).toBeGreaterThan(burst.docs / 2);
  });

  it('percentage_match: the share of Warning events per 15-minute window above 15%', async () => {
    const res = await es.client.search({
      index: 'eventrouter-*',
      size: 0,
      aggs: {
        segments: {
          date_range: { field: '@timestamp', ranges: segmentRanges(), keyed: true },
          aggs: { w: { filter: { term: { 'event.type.keyword': 'Warning' } } } },
        },
      },
    });
    const buckets = (
      res.aggregations!.segments as {
        buckets: Record<string, { doc_count: number; w: { doc_count: number } }>;
      }
    ).buckets;
    const expected = Object.entries(buckets)
      .filter(([, b]) => b.doc_count >= 100 && (b.w.doc_count / b.doc_count) * 100 > 15)
      .map(([end, b]) => ({
        '@timestamp': end,
        percentage: (b.w.doc_count / b.doc_count) * 100,
        denominator: b.doc_count,
        percentage_formatted: ((b.w.doc_count / b.doc_count) * 100).toFixed(1),
      }));
    expect(expected.length).toBeGreaterThan(2);
    const alerts = posted('/percentage').map((m) => ({
      '@timestamp': m['@timestamp'],
      percentage: m.percentage,
      denominator: m.denominator,
      percentage_formatted: m.percentage_formatted,
    }));
    expect(alerts).toEqual(expected);
  });

  it('the custom rule type module finds the workloads with one failure on several pods', () => {
    const alerts = posted('/workload');
    const seen = new Set(alerts.map((m) => `${String(m.workload)} ${String(m.reason)}`));
    const burst = manifest().probeBurst;
    const sched = manifest().schedulingFailures;
    expect(seen).toEqual(
      new Set([
        `${burst.namespace}/${burst.deployment} Unhealthy`,
        `${sched.namespace}/${sched.deployment} FailedScheduling`,
      ]),
    );
    for (const m of alerts) expect((m.pods as string[]).length).toBe(3);
  });
});
