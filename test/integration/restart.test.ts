/**
 * Nothing skipped, nothing repeated: a process killed with SIGKILL in the middle of a run,
 * a restart resuming from the status index, and Elasticsearch failing in the middle of a run.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app/app.ts';
import { FakeClock } from '../../src/model/clock.ts';
import { SecretRegistry } from '../../src/app/logger.ts';
import { createAlertPipeline } from '../../src/alerts/pipeline.ts';
import { catalogs } from '../../src/app/catalogs.ts';
import { runRule, type EngineDeps } from '../../src/engine/run-rule.ts';
import { createRuntimeRule } from '../../src/engine/runtime-rule.ts';
import { connectElasticsearch, type EsConnection } from '../../src/query/es-client.ts';
import { createEsSearchPort } from '../../src/query/es-search-port.ts';
import { loadRuleFile } from '../../src/compile/compile-rule.ts';
import { createMemoryWriteback } from '../../src/state/memory-writeback.ts';
import { writebackStores } from '../../src/state/writeback.ts';
import { connectTestEs, esHostPort, testEs, uniqueName } from './helpers.ts';
import { type Gateway, startGateway } from './support/es-gateway.ts';
import { type Receiver, startReceiver } from './support/http-receiver.ts';
import { makeWorkspace } from './support/workspace.ts';
import { testConfig } from '../support/config.ts';
import { runCli } from './support/cli.ts';
import { crashloopRule } from '../support/rules.ts';

const silent = pino({ level: 'silent' });
const noEnv = () => undefined;
const podOf = (m: unknown) =>
  (m as { event: { involvedObject: { name: string } } }).event.involvedObject.name;

const crashloopPost = (receiverUrl: string) =>
  crashloopRule({ alert: ['post'], http_post_url: `${receiverUrl}/crashloop` });

describe('restarts and failures', () => {
  let es: EsConnection;
  let receiver: Receiver;
  const cleanup: (() => unknown)[] = [];
  const manifest = () => testEs().corpus.manifest;
  const pods = () =>
    manifest()
      .crashLoops.map((c) => c.pod)
      .sort();

  beforeAll(async () => {
    es = await connectTestEs();
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });
  afterAll(async () => {
    await es.close();
  });

  it('a process killed with SIGKILL while alerting neither skips nor repeats an alert after restart', async () => {
    receiver = await startReceiver({ status: 200, body: 'ok' });
    const wb = uniqueName('esalert_kill');
    const ws = makeWorkspace({
      ...esHostPort(),
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      writeback_index: wb,
    });
    cleanup.push(
      () => receiver.close(),
      () => ws.remove(),
      () => es.client.indices.delete({ index: `${wb}*` }).catch(() => {}),
    );
    ws.writeRule('crashloop.yaml', crashloopPost(receiver.url));
    const args = [
      'run',
      '--config',
      ws.config,
      '--start',
      manifest().start,
      '--end',
      manifest().end,
      '--verbose',
    ];

    // The first alert is answered at once; the second is held until the process is killed.
    receiver.script({ status: 200, body: 'ok' }, { status: 200, body: 'ok', hold: true });
    const first = runCli(args);
    const deadline = Date.now() + 120_000;
    while ((receiver.received.length < 1 || receiver.holding() < 1) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(receiver.received, first.output()).toHaveLength(1);
    expect(receiver.holding(), 'the second POST arrived and waits for its answer').toBe(1);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(receiver.received).toHaveLength(1);

    receiver.fallback = { status: 200, body: 'ok' };
    const second = runCli(args);
    expect(await second.exited, second.output()).toBe(0);

    const alerted = receiver.received.map((r) => podOf(r.json));
    expect(alerted.slice().sort()).toEqual(pods());
    expect(new Set(alerted).size).toBe(alerted.length);

    await es.client.indices.refresh({ index: `${wb}*` });
    const status = await es.client.search<{ endtime: string }>({ index: `${wb}_status`, size: 10 });
    expect(status.hits.hits.map((h) => h._source!.endtime)).toContain('2024-05-15T00:00:00Z');
    const sent = await es.client.count({
      index: wb,
      query: { bool: { filter: [{ term: { rule_name: 'crashloop' } }, { term: { alert_sent: true } }] } },
    });
    expect(sent.count).toBe(pods().length);
  }, 300_000);

  it('a restart resumes from the last run in the status index: every pod alerted exactly once', async () => {
    receiver = await startReceiver({ status: 200, body: 'ok' });
    const wb = uniqueName('esalert_resume');
    const ws = makeWorkspace({
      ...esHostPort(),
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      writeback_index: wb,
    });
    cleanup.push(
      () => receiver.close(),
      () => ws.remove(),
      () => es.client.indices.delete({ index: `${wb}*` }).catch(() => {}),
    );
    ws.writeRule('crashloop.yaml', crashloopPost(receiver.url));
    const split = '2024-05-14T12:00:00Z';
    const deps = (clock: FakeClock) => ({ env: noEnv, clock, logger: silent, secrets: new SecretRegistry() });

    const first = await startApp(
      { configFile: ws.config, start: manifest().start, end: split },
      deps(new FakeClock('2024-05-14T12:05:00Z')),
    );
    await first.finished;
    await first.stop();
    const before = receiver.received.length;

    // no --start: the second process finds where the first one stopped
    const second = await startApp(
      { configFile: ws.config, end: manifest().end },
      deps(new FakeClock('2024-05-15T00:05:00Z')),
    );
    await second.finished;
    await second.stop();

    await es.client.indices.refresh({ index: `${wb}*` });
    const status = await es.client.search<{ starttime: string; endtime: string }>({
      index: `${wb}_status`,
      size: 10,
      sort: [{ '@timestamp': 'asc' }],
    });
    expect(status.hits.hits.map((h) => [h._source!.starttime, h._source!.endtime])).toEqual([
      [manifest().start.replace('.000Z', 'Z'), split],
      [split, '2024-05-15T00:00:00Z'],
    ]);
    const alerted = receiver.received.map((r) => podOf(r.json));
    expect(alerted.slice().sort()).toEqual(pods());
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(alerted.length);
  }, 120_000);

  it('Elasticsearch failing mid-run: the run is an error, the failed window is queried again, never taken for zero events', async () => {
    let failing = false;
    let searches = 0;
    const gw: Gateway = await startGateway({
      target: testEs().url,
      fail: (_n, method, path) => {
        if (!path.includes('_search')) return undefined;
        searches++;
        return failing && searches > 20 ? 503 : undefined;
      },
    });
    cleanup.push(() => gw.close());
    const conn = await connectElasticsearch({
      nodes: [`http://127.0.0.1:${gw.port}`],
      requestTimeoutMs: 30_000,
    });
    cleanup.push(() => conn.close());
    const ws = makeWorkspace({
      es_host: '127.0.0.1',
      es_port: gw.port,
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      writeback_index: 'unused',
    });
    cleanup.push(() => ws.remove());
    const file = ws.writeRule('backoffs.yaml', {
      name: 'every-backoff',
      type: 'any',
      index: 'eventrouter-*',
      filter: [{ query_string: { query: 'event.reason: BackOff' } }],
      realert: { minutes: 0 },
      alert: ['debug'],
    });
    const global = testConfig(
      {
        rules_folder: ws.rulesDir,
        run_every: { minutes: 1 },
        buffer_time: { minutes: 15 },
        es_host: '127.0.0.1',
        writeback_index: 'unused',
      },
      ws.config,
    );
    const rule = loadRuleFile(file, { global, env: noEnv, catalogs: catalogs(), logger: silent });
    const clock = new FakeClock('2024-05-15T01:00:00Z');
    const writeback = createMemoryWriteback();
    const sink = createAlertPipeline({
      clock,
      logger: silent,
      stores: writebackStores(writeback),
      alertTimeLimitMs: 86_400_000,
      maxAggregation: 10_000,
    });
    const engine: EngineDeps = {
      clock,
      logger: silent,
      stores: writebackStores(writeback),
      sink,
      search: () => createEsSearchPort(conn.client),
      globals: { runEveryMs: 60_000, oldQueryLimitMs: 7 * 86_400_000 },
    };
    const rt = createRuntimeRule(rule);
    const start = Date.parse(manifest().start);
    const end = Date.parse(manifest().end);

    failing = true;
    const broken = await runRule(rt, end, engine, { start });
    expect(broken.error?.code).toBe('ES_QUERY_FAILED');
    expect(broken.error?.message).toMatch(/HTTP 503/);
    const reached = Date.parse(broken.completedTo!);
    expect(reached).toBeGreaterThan(start);
    expect(reached).toBeLessThan(end);
    expect(writeback.errors).toHaveLength(1);
    expect(writeback.statuses.at(-1)!.endtime).toBe(broken.completedTo);

    failing = false;
    const resumed = await runRule(rt, end, engine);
    expect(resumed.error).toBeUndefined();
    expect(resumed.start).toBe(broken.completedTo);
    expect(resumed.completedTo).toBe('2024-05-15T00:00:00Z');

    const total = await es.client.count({
      index: 'eventrouter-*',
      query: { query_string: { query: 'event.reason: BackOff' } },
    });
    const alerts = [...writeback.alerts.values()];
    expect(broken.matches.length + resumed.matches.length).toBe(total.count);
    expect(new Set(alerts.map((a) => a.match_body._id)).size).toBe(total.count);
  }, 120_000);
});
