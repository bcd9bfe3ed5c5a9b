/**
 * Aggregation over the event corpus: rules run as `esalert test-rule` runs them (dry run, fake
 * clock, aggregates released at the end), checked against what Elasticsearch itself counts and
 * the corpus manifest: one alert per aggregation_key value, summary tables whose counts are the
 * per-pod counts, alert times from the aggregation window, the match time or a cron schedule,
 * summary_table_max_rows, realert inside an aggregation and max_aggregation.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertContent } from '../../src/alerters/alerter.ts';
import { createAlertPipeline } from '../../src/alerts/pipeline.ts';
import { catalogs } from '../../src/app/catalogs.ts';
import { FakeClock } from '../../src/model/clock.ts';
import { dryRun, recordingAlerter } from '../../src/app/dry-run.ts';
import { type GlobalConfig, parseGlobalConfig } from '../../src/config/global-config.ts';
import { runRule } from '../../src/engine/run-rule.ts';
import { createRuntimeRule } from '../../src/engine/runtime-rule.ts';
import type { EsConnection } from '../../src/query/es-client.ts';
import type { EsQuery } from '../../src/query/filters.ts';
import { createEsSearchPort } from '../../src/query/es-search-port.ts';
import type { CompiledRule } from '../../src/compile/compiled-rule.ts';
import { createMemoryWriteback } from '../../src/state/memory-writeback.ts';
import { writebackStores } from '../../src/state/writeback.ts';
import { lookupField } from '../../src/model/lookup.ts';
import { toIso } from '../../src/util/time.ts';
import { connectTestEs, esHostPort, testEs } from './helpers.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';
import { loadRuleFile } from '../../src/compile/compile-rule.ts';

const silent = pino({ level: 'silent' });
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const INDEX = 'eventrouter-*';
const SCHEDULING = 'event.reason:FailedScheduling';
const POD_WARNINGS = 'event.type:Warning AND event.involvedObject.kind:Pod';
const NS = 'event.involvedObject.namespace';
const POD = 'event.involvedObject.name';

type Terms = Record<string, number>;

describe('aggregation against the corpus', () => {
  let es: EsConnection;
  let ws: Workspace;
  const manifest = () => testEs().corpus.manifest;
  const scheduling = () => manifest().schedulingFailures;
  /** The scheduling failures and ten minutes either side. */
  const schedulingWindow = () => ({
    start: Date.parse(scheduling().from) - 10 * MINUTE,
    end: Date.parse(scheduling().to) + 10 * MINUTE,
  });

  beforeAll(async () => {
    es = await connectTestEs();
    ws = makeWorkspace({ ...esHostPort(), run_every: { minutes: 1 }, buffer_time: { minutes: 15 } });
  });
  afterAll(async () => {
    await es.close();
    ws.remove();
  });

  const config = (extra: Record<string, unknown> = {}): GlobalConfig =>
    parseGlobalConfig(
      {
        file: ws.config,
        value: {
          ...esHostPort(),
          rules_folder: ws.rulesDir,
          run_every: { minutes: 1 },
          buffer_time: { minutes: 15 },
          writeback_index: 'unused',
          ...extra,
        },
        locate: () => ({ file: ws.config, line: 1 }),
      },
      { env: () => undefined },
    );

  function load(rule: Record<string, unknown>, global: GlobalConfig): CompiledRule {
    const file = ws.writeRule(`${String(rule.name)}.yaml`, {
      type: 'any',
      index: INDEX,
      buffer_time: { hours: 6 },
      alert: ['debug'],
      ...rule,
    });
    return loadRuleFile(file, { global, env: () => undefined, catalogs: catalogs(), logger: silent });
  }

  /** Runs the rule over the window as a dry run, at `now`. */
  async function run(
    rule: Record<string, unknown>,
    window: { start: number; end: number },
    now: number,
    extraConfig: Record<string, unknown> = {},
  ) {
    const global = config(extraConfig);
    const loaded = load(rule, global);
    const result = await dryRun(loaded, createEsSearchPort(es.client), window, {
      config: global,
      clock: new FakeClock(now),
      logger: silent,
    });
    expect(result.report.error).toBeUndefined();
    return result;
  }

  // --- what Elasticsearch says ---

  const inWindow = (query: string, w: { start: number; end: number }): EsQuery => ({
    bool: {
      filter: [
        { query_string: { query } },
        // the bounds as the engine writes them: whole seconds without milliseconds, which
        // Elasticsearch takes as the end of that second
        { range: { '@timestamp': { gt: toIso(w.start), lte: toIso(w.end) } } },
      ],
    },
  });

  async function esCount(query: string, w: { start: number; end: number }): Promise<number> {
    return (await es.client.count({ index: INDEX, query: inWindow(query, w) })).count;
  }

  /** Document counts per value of `field`, and per value of `sub` within each. */
  async function esTerms(query: string, w: { start: number; end: number }, field: string, sub: string) {
    const r = await es.client.search({
      index: INDEX,
      size: 0,
      query: inWindow(query, w),
      aggs: {
        by: {
          terms: { field: `${field}.keyword`, size: 1000 },
          aggs: { sub: { terms: { field: `${sub}.keyword`, size: 1000 } } },
        },
      },
    });
    type Bucket = { key: string; doc_count: number; sub: { buckets: { key: string; doc_count: number }[] } };
    const buckets = (r.aggregations!.by as { buckets: Bucket[] }).buckets;
    return new Map<string, { count: number; sub: Terms }>(
      buckets.map((b) => [
        b.key,
        { count: b.doc_count, sub: Object.fromEntries(b.sub.buckets.map((s) => [s.key, s.doc_count])) },
      ]),
    );
  }

  /** @timestamp of every matching document, oldest first. */
  async function esTimestamps(query: string, w: { start: number; end: number }): Promise<number[]> {
    const r = await es.client.search({
      index: INDEX,
      size: 10_000,
      query: inWindow(query, w),
      _source: ['@timestamp'],
      sort: [{ '@timestamp': 'asc' }],
    });
    return r.hits.hits.map((h) => Date.parse((h._source as { '@timestamp': string })['@timestamp']));
  }

  // --- reading the alerts ---

  /** The rows of an ascii summary table with one field: value -> count. */
  function asciiRows(body: string): Terms {
    const rows: Terms = {};
    for (const m of body.matchAll(/^\| (\S+) +\| (\d+) +\|$/gm)) rows[m[1]!] = Number(m[2]);
    return rows;
  }

  /** The rows of a markdown summary table with one field: value -> count. */
  function markdownRows(body: string): Terms {
    const rows: Terms = {};
    for (const m of body.matchAll(/^\| (\S+) \| (\d+) \|$/gm)) rows[m[1]!] = Number(m[2]);
    return rows;
  }

  const field = (a: AlertContent, path: string) => String(lookupField(a.matches[0]!, path));
  const times = (a: AlertContent) => a.matches.map((m) => Date.parse(String(m['@timestamp'])));

  it('one alert per namespace, with a summary table counting each pod', async () => {
    const w = { start: Date.parse(manifest().start) - HOUR, end: Date.parse(manifest().end) + HOUR };
    const now = w.end + MINUTE;
    const query = `(${SCHEDULING} OR event.reason:Failed) AND event.involvedObject.kind:Pod`;
    const { sent, store, report } = await run(
      {
        name: 'agg-namespace',
        filter: [{ query_string: { query } }],
        aggregation: { hours: 1 },
        aggregation_key: NS,
        summary_table_fields: [POD],
        alert_text_type: 'aggregation_summary_only',
        alert_subject: 'Pod failures in {0}',
        alert_subject_args: [NS],
      },
      w,
      now,
    );
    const truth = await esTerms(query, w, NS, POD);
    expect(truth.size).toBeGreaterThan(1);
    expect(truth.get(scheduling().namespace)?.sub).toEqual(
      Object.fromEntries(scheduling().pods.map((p) => [p, expect.any(Number)])),
    );
    expect(report.matches.every((m) => m.outcome === 'aggregated')).toBe(true);
    expect(report.matches.length).toBe(await esCount(query, w));

    expect(sent.map((a) => field(a, NS)).sort()).toEqual([...truth.keys()].sort());
    for (const alert of sent) {
      const ns = field(alert, NS);
      expect(alert.title).toBe(`Pod failures in ${ns}`);
      expect(alert.matches.every((m) => lookupField(m, NS) === ns)).toBe(true);
      expect(alert.matches.length).toBe(truth.get(ns)!.count);
      expect(alert.body).toMatch(
        /^Aggregation resulted in the following data for summary_table_fields ==> \['event\.involvedObject\.name', 'count'\]:\n\n\+-+\+-------\+\n/,
      );
      expect(asciiRows(alert.body)).toEqual(truth.get(ns)!.sub);
    }
    // one head document per namespace, sent at now + 1 hour
    const heads = [...store.alerts.values()].filter((d) => d.aggregate_id === undefined);
    expect(heads.map((d) => d.aggregation_key).sort()).toEqual([...truth.keys()].sort());
    for (const h of heads) expect(Date.parse(h.alert_time)).toBe(now + HOUR);
  });

  it('a compound aggregation_key groups by both values, joined with ", "', async () => {
    const w = schedulingWindow();
    const { sent, store } = await run(
      {
        name: 'agg-compound',
        filter: [{ query_string: { query: POD_WARNINGS } }],
        aggregation: { hours: 1 },
        aggregation_key: [NS, 'event.reason'],
        summary_table_fields: [POD],
        alert_text_type: 'aggregation_summary_only',
      },
      w,
      w.end + MINUTE,
    );
    const truth = await esTerms(POD_WARNINGS, w, NS, 'event.reason');
    const pairs = [...truth].flatMap(([ns, t]) => Object.entries(t.sub).map(([r, n]) => [`${ns}, ${r}`, n]));
    expect(pairs.length).toBeGreaterThan(2);
    expect(
      Object.fromEntries(sent.map((a) => [`${field(a, NS)}, ${field(a, 'event.reason')}`, a.matches.length])),
    ).toEqual(Object.fromEntries(pairs));
    const heads = [...store.alerts.values()].filter((d) => d.aggregate_id === undefined);
    expect(heads.map((d) => d.aggregation_key).sort()).toEqual(pairs.map(([k]) => k).sort());
  });

  it('aggregate_by_match_time: the alert time is the first match time plus the aggregation', async () => {
    const w = schedulingWindow();
    const now = w.end + MINUTE;
    const query = SCHEDULING;
    const ts = await esTimestamps(query, w);
    expect(ts.length).toBeGreaterThan(10);

    const byMatch = await run(
      {
        name: 'agg-match-time',
        filter: [{ query_string: { query } }],
        aggregation: { hours: 2 },
        aggregate_by_match_time: true,
      },
      w,
      now,
    );
    expect(byMatch.sent).toHaveLength(1);
    expect(times(byMatch.sent[0]!)).toEqual(ts);
    expect(new Set(byMatch.report.matches.map((m) => 'alertTime' in m && Date.parse(m.alertTime!)))).toEqual(
      new Set([ts[0]! + 2 * HOUR]),
    );

    const byClock = await run(
      { name: 'agg-run-time', filter: [{ query_string: { query } }], aggregation: { hours: 2 } },
      w,
      now,
    );
    expect(byClock.sent).toHaveLength(1);
    expect(new Set(byClock.report.matches.map((m) => 'alertTime' in m && Date.parse(m.alertTime!)))).toEqual(
      new Set([now + 2 * HOUR]),
    );
  });

  it('aggregate_by_match_time compared with event time: aggregates follow the events', async () => {
    const w = schedulingWindow();
    const query = SCHEDULING;
    const { sent } = await run(
      {
        name: 'agg-event-time',
        filter: [{ query_string: { query } }],
        aggregation: { minutes: 10 },
        aggregate_by_match_time: true,
        aggregation_alert_time_compared_with_timestamp_field: true,
      },
      w,
      w.end + HOUR,
    );
    // a new aggregate starts with the first event after the current one's alert time
    const expected: number[][] = [];
    for (const t of await esTimestamps(query, w)) {
      const current = expected.at(-1);
      if (!current || t > current[0]! + 10 * MINUTE) expected.push([t]);
      else current.push(t);
    }
    expect(expected.length).toBeGreaterThan(2);
    expect(sent.map(times).sort((a, b) => a[0]! - b[0]!)).toEqual(expected);
  });

  it('a cron schedule sends at the next tick; the rule options fill $name$ references', async () => {
    const w = schedulingWindow();
    const query = SCHEDULING;
    const rule = {
      name: 'agg-cron',
      filter: [{ query_string: { query } }],
      aggregation: { schedule: '*/15 * * * *' },
      owner: 'sre-search',
      alert_subject: '$owner$',
    };
    const count = await esCount(query, w);
    // off a tick: the next quarter hour; on a tick: the one after
    for (const [now, tick] of [
      [Date.parse('2024-05-14T10:37:30Z'), '2024-05-14T10:45:00Z'],
      [Date.parse('2024-05-14T10:45:00Z'), '2024-05-14T11:00:00Z'],
    ] as const) {
      expect(now).toBeGreaterThan(w.end);
      const { sent, store } = await run(rule, w, now);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.matches).toHaveLength(count);
      expect(sent[0]!.title).toBe('sre-search');
      const heads = [...store.alerts.values()].filter((d) => d.aggregate_id === undefined);
      expect(heads.map((h) => Date.parse(h.alert_time))).toEqual([Date.parse(tick)]);
    }
  });

  it('summary_table_max_rows keeps the pods with the most events', async () => {
    const w = schedulingWindow();
    const query = SCHEDULING;
    const { sent } = await run(
      {
        name: 'agg-max-rows',
        filter: [{ query_string: { query } }],
        aggregation: { hours: 1 },
        summary_table_fields: [POD],
        summary_table_type: 'markdown',
        summary_table_max_rows: 2,
        alert_text_type: 'aggregation_summary_only',
      },
      w,
      w.end + MINUTE,
    );
    const perPod = (await esTerms(query, w, NS, POD)).get(scheduling().namespace)!.sub;
    expect(Object.keys(perPod)).toHaveLength(scheduling().pods.length);
    expect(sent).toHaveLength(1);
    const rows = markdownRows(sent[0]!.body);
    expect(Object.keys(rows)).toHaveLength(2);
    for (const [pod, n] of Object.entries(rows)) expect(n).toBe(perPod[pod]);
    const top = Object.values(perPod).sort((a, b) => b - a);
    expect(Object.values(rows).sort((a, b) => b - a)).toEqual(top.slice(0, 2));
    expect(sent[0]!.body).toMatch(/\| event\.involvedObject\.name \| count \|\n\|-----\|-----\|\n/);
    expect(sent[0]!.body.endsWith('\nShowing top 2 rows\n')).toBe(true);
  });

  it('realert inside an aggregation: one match per pod joins, the others are silenced', async () => {
    const w = schedulingWindow();
    const query = SCHEDULING;
    const { sent, report } = await run(
      {
        name: 'agg-realert',
        filter: [{ query_string: { query } }],
        aggregation: { hours: 1 },
        query_key: POD,
        realert: { hours: 1 },
        summary_table_fields: [POD],
        alert_text_type: 'aggregation_summary_only',
      },
      w,
      w.end + MINUTE,
    );
    const pods = scheduling().pods;
    const total = await esCount(query, w);
    const outcomes = report.matches.map((m) => m.outcome);
    expect(outcomes.filter((o) => o === 'aggregated')).toHaveLength(pods.length);
    expect(outcomes.filter((o) => o === 'silenced')).toHaveLength(total - pods.length);
    expect(sent).toHaveLength(1);
    expect(asciiRows(sent[0]!.body)).toEqual(Object.fromEntries(pods.map((p) => [p, 1])));
    // each pod's first event is the one that got through
    for (const m of sent[0]!.matches) {
      const first = await esTimestamps(`${query} AND ${POD}.keyword:"${String(lookupField(m, POD))}"`, w);
      expect(Date.parse(String(m['@timestamp']))).toBe(first[0]);
    }
  });

  it('max_aggregation: an alert carries the first match and at most max_aggregation more', async () => {
    const w = schedulingWindow();
    const query = SCHEDULING;
    const { sent, store } = await run(
      { name: 'agg-max-aggregation', filter: [{ query_string: { query } }], aggregation: { hours: 1 } },
      w,
      w.end + MINUTE,
      { max_aggregation: 5 },
    );
    const ts = await esTimestamps(query, w);
    expect(ts.length).toBeGreaterThan(6);
    expect(sent).toHaveLength(1);
    expect(times(sent[0]!)).toEqual(ts.slice(0, 6));
    // the rest stay unsent in the writeback index, as in ElastAlert 2
    expect([...store.alerts.values()].filter((d) => !d.alert_sent)).toHaveLength(ts.length - 6);
  });

  it('continuous runs: an aggregate closes when its time has passed; after a restart, matches join the pending one', async () => {
    const STEP = 5 * MINUTE;
    const first = Math.floor((Date.parse(scheduling().from) - 10 * MINUTE) / STEP) * STEP;
    const last = Math.ceil((Date.parse(scheduling().to) + 30 * MINUTE) / STEP) * STEP;
    const global = config();
    const rule = load(
      {
        name: 'agg-continuous',
        filter: [{ query_string: { query: SCHEDULING } }],
        aggregation: { minutes: 14 },
        aggregation_key: POD,
      },
      global,
    );
    const port = createEsSearchPort(es.client);

    /** Runs every 5 minutes (each a little after its window ends), sending what is due after each run. */
    async function simulate(restartAt?: number) {
      const writeback = createMemoryWriteback();
      const sent: AlertContent[] = [];
      const clock = new FakeClock(first);
      const rt = createRuntimeRule(rule);
      const rules = new Map([[rule.name, rt]]);
      const start = () =>
        createAlertPipeline({
          clock,
          logger: silent,
          stores: writebackStores(writeback),
          alertTimeLimitMs: global.alertTimeLimitMs,
          maxAggregation: global.maxAggregation,
          alerters: () => [recordingAlerter(sent)],
          retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
        });
      let pipeline = start();
      for (let end = first + STEP; end <= last; end += STEP) {
        if (end === restartAt) {
          await pipeline.drain(10_000);
          pipeline = start();
        }
        clock.set(end + 30_000);
        const report = await runRule(
          rt,
          end,
          {
            clock,
            logger: silent,
            stores: writebackStores(writeback),
            sink: pipeline,
            search: () => port,
            globals: { runEveryMs: STEP, oldQueryLimitMs: 7 * 24 * HOUR },
          },
          { start: end - STEP },
        );
        expect(report.error).toBeUndefined();
        await pipeline.flushDue(rules);
      }
      clock.set(last + HOUR);
      await pipeline.flushDue(rules);
      await pipeline.drain(10_000);
      return sent.map((a) => ({ pod: field(a, POD), times: times(a) }));
    }

    // Expected, from Elasticsearch: a pod's aggregate starts at the first run that finds one of its
    // events and takes what the runs find until its alert time (that run + 14 minutes) has passed.
    const expected: { pod: string; times: number[] }[] = [];
    const open = new Map<string, { alertTime: number; times: number[] }>();
    for (let end = first + STEP; end <= last; end += STEP) {
      const now = end + 30_000;
      for (const pod of scheduling().pods) {
        const found = await esTimestamps(`${SCHEDULING} AND ${POD}.keyword:"${pod}"`, {
          start: end - STEP,
          end,
        });
        if (found.length === 0) continue;
        let agg = open.get(pod);
        if (!agg || agg.alertTime < now) {
          agg = { alertTime: now + 14 * MINUTE, times: [] };
          open.set(pod, agg);
          expected.push({ pod, times: agg.times });
        }
        agg.times.push(...found);
      }
    }
    const order = (xs: { pod: string; times: number[] }[]) =>
      [...xs].sort((a, b) => a.times[0]! - b.times[0]! || a.pod.localeCompare(b.pod));
    expect(expected.length).toBeGreaterThan(scheduling().pods.length);
    expect(expected.flatMap((e) => e.times)).toHaveLength(
      await esCount(SCHEDULING, { start: first, end: last }),
    );

    expect(order(await simulate())).toEqual(order(expected));
    // restarted 20 minutes into the failures: the aggregates pending then are found in the writeback index
    const restartAt = Math.ceil((Date.parse(scheduling().from) + 20 * MINUTE) / STEP) * STEP;
    expect(order(await simulate(restartAt))).toEqual(order(expected));
  });
});
