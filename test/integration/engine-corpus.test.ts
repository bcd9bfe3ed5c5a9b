/**
 * The engine against the real Elasticsearch and the generated cluster events: the rules a
 * Kubernetes operator writes must fire for exactly the incidents the corpus contains.
 */
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
const noEnv = () => undefined;

function posted(r: Receiver, path: string): Record<string, unknown>[] {
  return r.received.filter((x) => x.path === path).map((x) => x.json as Record<string, unknown>);
}

const podOf = (m: Record<string, unknown>) =>
  (m.event as { involvedObject: { name: string } }).involvedObject.name;

describe('rules over the Kubernetes event corpus', () => {
  let receiver: Receiver;
  let ws: Workspace;
  let es: EsConnection;
  let app: App;
  const wb = uniqueName('esalert_wb');
  const manifest = () => testEs().corpus.manifest;

  beforeAll(async () => {
    receiver = await startReceiver({ status: 200, body: 'ok' });
    es = await connectTestEs();
    ws = makeWorkspace({
      ...esHostPort(),
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      writeback_index: wb,
    });
    const post = (path: string) => ({ alert: ['post'], http_post_url: `${receiver.url}${path}` });
    const crashFilter = [
      {
        query: {
          query_string: { query: 'event.reason: BackOff AND event.message: "restarting failed container"' },
        },
      },
    ];
    ws.writeRule('crashloop.yaml', {
      name: 'crashloop',
      type: 'frequency',
      index: 'eventrouter-*',
      num_events: 5,
      timeframe: { minutes: 10 },
      query_key: 'event.involvedObject.name.keyword',
      filter: crashFilter,
      realert: { minutes: 30 },
      ...post('/crashloop'),
    });
    ws.writeRule('crashloop-terms.yaml', {
      name: 'crashloop-terms',
      type: 'frequency',
      index: 'eventrouter-*',
      num_events: 5,
      timeframe: { minutes: 10 },
      query_key: 'event.involvedObject.name.keyword',
      use_terms_query: true,
      filter: crashFilter,
      realert: { minutes: 30 },
      ...post('/crashloop-terms'),
    });
    ws.writeRule('k8s/heartbeat.yaml', {
      name: 'heartbeat',
      type: 'flatline',
      index: 'eventrouter-%Y-%m-%d',
      use_strftime_index: true,
      threshold: 1,
      timeframe: { minutes: 10 },
      filter: [
        { term: { 'event.reason.keyword': 'SawCompletedJob' } },
        { term: { 'event.involvedObject.name.keyword': 'heartbeat' } },
      ],
      realert: { minutes: 0 },
      ...post('/heartbeat'),
    });
    ws.writeRule('k8s/heartbeat-count.yaml', {
      name: 'heartbeat-count',
      type: 'flatline',
      index: 'eventrouter-*',
      use_count_query: true,
      threshold: 1,
      timeframe: { minutes: 10 },
      filter: [
        { term: { 'event.reason.keyword': 'SawCompletedJob' } },
        { term: { 'event.involvedObject.name.keyword': 'heartbeat' } },
      ],
      realert: { minutes: 0 },
      ...post('/heartbeat-count'),
    });
    ws.writeRule('probes.yaml', {
      name: 'probe-burst',
      type: 'spike',
      index: 'eventrouter-*',
      timeframe: { minutes: 10 },
      spike_height: 5,
      spike_type: 'up',
      threshold_cur: 20,
      query_key: 'event.involvedObject.namespace.keyword',
      alert_on_new_data: true,
      filter: [{ query_string: { query: 'event.reason:Unhealthy' } }],
      ...post('/probes'),
    });
    // the clock sits after the corpus: a backfill of the whole day, then exit
    const clock = new FakeClock('2024-05-15T00:30:00Z');
    app = await startApp(
      { configFile: ws.config, start: manifest().start, end: manifest().end },
      { env: noEnv, clock, logger: silent, secrets: new SecretRegistry() },
    );
    await app.finished;
    await app.stop();
  });

  afterAll(async () => {
    await receiver.close();
    await es.client.indices.delete({ index: `${wb}*` }).catch(() => {});
    await es.close();
    ws.remove();
  });

  it('loads every rule', () => {
    expect(app.loaded.errors.map((e) => e.error.message)).toEqual([]);
    expect([...app.rules.keys()].sort()).toEqual([
      'crashloop',
      'crashloop-terms',
      'heartbeat',
      'heartbeat-count',
      'probe-burst',
    ]);
  });

  it('frequency + query_key alerts once for each crash-looping pod and for no other pod', () => {
    const pods = posted(receiver, '/crashloop').map(podOf).sort();
    expect(pods).toEqual(
      manifest()
        .crashLoops.map((c) => c.pod)
        .sort(),
    );
    for (const m of posted(receiver, '/crashloop')) {
      const loop = manifest().crashLoops.find((c) => c.pod === podOf(m))!;
      expect(String(m['@timestamp']) >= loop.from).toBe(true);
      expect(m.num_matches).toBeGreaterThan(0);
    }
  });

  it('terms mode fires for the same pods as hits mode', () => {
    const keys = posted(receiver, '/crashloop-terms').map((m) => m['event.involvedObject.name.keyword']);
    expect(keys.sort()).toEqual(
      manifest()
        .crashLoops.map((c) => c.pod)
        .sort(),
    );
  });

  it('flatline fires inside the heartbeat gap and nowhere else, in hits and in count mode', () => {
    const { from, to } = manifest().heartbeat.gap;
    for (const path of ['/heartbeat', '/heartbeat-count']) {
      const times = posted(receiver, path).map((m) => String(m['@timestamp']));
      expect(times.length, path).toBeGreaterThan(0);
      for (const t of times) {
        expect(Date.parse(t) > Date.parse(from), `${path} ${t}`).toBe(true);
        expect(Date.parse(t) <= Date.parse(to), `${path} ${t}`).toBe(true);
      }
    }
  });

  it('spike fires for the readiness-probe burst, in its namespace, when it starts', () => {
    const alerts = posted(receiver, '/probes');
    expect(alerts).toHaveLength(1);
    const m = alerts[0]!;
    const burst = manifest().probeBurst;
    expect(
      m['event.involvedObject.namespace.keyword'] ??
        (m.event as { involvedObject: { namespace: string } }).involvedObject.namespace,
    ).toBe(burst.namespace);
    expect(String(m['@timestamp']) >= burst.from && String(m['@timestamp']) <= burst.to).toBe(true);
    expect(Number(m.spike_count)).toBeGreaterThanOrEqual(20);
  });

  it('writes ElastAlert 2 writeback documents: status per rule, alerts, silences', async () => {
    await es.client.indices.refresh({ index: `${wb}*` });
    const status = await es.client.search<{
      rule_name: string;
      endtime: string;
      starttime: string;
      hits: number;
      matches: number;
    }>({
      index: `${wb}_status`,
      size: 100,
    });
    const byRule = new Map(status.hits.hits.map((h) => [h._source!.rule_name, h._source!]));
    expect([...byRule.keys()].sort()).toEqual([...app.rules.keys()].sort());
    for (const s of byRule.values()) {
      expect(s.starttime).toBe('2024-05-14T00:00:00Z');
      expect(s.endtime).toBe('2024-05-15T00:00:00Z');
    }
    const backoffs = await es.client.count({
      index: 'eventrouter-*',
      query: {
        query_string: { query: 'event.reason: BackOff AND event.message: "restarting failed container"' },
      },
    });
    expect(byRule.get('crashloop')!.hits).toBe(backoffs.count);

    const alerts = await es.client.search<Record<string, unknown>>({
      index: wb,
      size: 100,
      query: { term: { rule_name: 'crashloop' } },
    });
    expect(alerts.hits.hits).toHaveLength(manifest().crashLoops.length);
    for (const h of alerts.hits.hits) {
      const d = h._source!;
      expect(d.alert_sent).toBe(true);
      expect(d.alert_info).toEqual({
        type: 'http_post',
        http_post_webhook_url: [`${receiver.url}/crashloop`],
      });
      expect(typeof d.alert_time).toBe('string');
      expect(d.match_body).toMatchObject({ verb: expect.any(String), event: { reason: 'BackOff' } });
    }
    const silences = await es.client.search<{ rule_name: string; until: string; exponent: number }>({
      index: `${wb}_silence`,
      size: 100,
    });
    const keys = silences.hits.hits
      .map((h) => h._source!.rule_name)
      .filter((k) => k.startsWith('crashloop.'));
    expect(keys.sort()).toEqual(
      manifest()
        .crashLoops.map((c) => `crashloop.${c.pod}`)
        .sort(),
    );
  });
});
