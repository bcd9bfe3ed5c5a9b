/**
 * send_resolved against the real Elasticsearch: events written to an index of their own, the
 * rule run once a minute (the clock stepped by the test), the alert path with the Elasticsearch
 * writeback (firing state in <wb>_esalert_state) and the `post` alerter delivering to a real HTTP
 * receiver. Each rule type fires, then clears by its own semantics, and the receiver gets exactly
 * one resolved notification with resolved, fired_at, resolved_at and duration. One more case
 * goes through the whole app (startApp, a backfill) to check the wiring.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAlertPipeline } from '../../src/alerts/pipeline.ts';
import { catalogs } from '../../src/app/catalogs.ts';
import { startApp } from '../../src/app/app.ts';
import { SecretRegistry } from '../../src/app/logger.ts';
import { loadRuleFile } from '../../src/compile/compile-rule.ts';
import { type EngineDeps, runRule } from '../../src/engine/run-rule.ts';
import { createRuntimeRule, type RuntimeRule } from '../../src/engine/runtime-rule.ts';
import { FakeClock } from '../../src/model/clock.ts';
import type { EsConnection } from '../../src/query/es-client.ts';
import { createEsSearchPort } from '../../src/query/es-search-port.ts';
import { createEsWriteback } from '../../src/state/es-writeback.ts';
import { firingStateId, firingStore } from '../../src/state/firing-store.ts';
import { writebackIndex, writebackStores } from '../../src/state/writeback.ts';
import { toIso } from '../../src/util/time.ts';
import { testConfig } from '../support/config.ts';
import { connectTestEs, esHostPort, uniqueName } from './helpers.ts';
import { type Receiver, startReceiver } from './support/http-receiver.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const silent = pino({ level: 'silent' });
const MIN = 60_000;
const T0 = Date.parse('2025-03-01T00:00:00Z');
const at = (minute: number) => toIso(T0 + minute * MIN);
/** `perMinute` events a minute for pod `pod` in [from, to). */
const steady = (from: number, to: number, perMinute = 1, pod = 'api-1') =>
  Array.from({ length: (to - from) * perMinute }, (_, i) => ({ minute: from + (i + 0.5) / perMinute, pod }));

interface Posted {
  resolved?: boolean;
  fired_at?: string;
  resolved_at?: string;
  duration?: string;
  duration_seconds?: number;
  pod?: string;
  '@timestamp'?: string;
}

describe('send_resolved end to end', () => {
  let es: EsConnection;
  let receiver: Receiver;
  let ws: Workspace;
  let index: string;
  let wb: string;

  beforeAll(async () => {
    es = await connectTestEs();
  });
  afterAll(async () => {
    await es.close();
  });
  afterEach(async () => {
    await receiver.close();
    ws.remove();
    await es.client.indices.delete({ index: `${index},${wb}*` }).catch(() => {});
  });

  const setup = async (events: { minute: number; pod: string; node?: string }[]) => {
    receiver = await startReceiver({ status: 200, body: 'ok' });
    index = uniqueName('resolved-events');
    wb = uniqueName('esalert_resolved');
    ws = makeWorkspace({
      ...esHostPort(),
      writeback_index: wb,
      run_every: { minutes: 1 },
      buffer_time: { minutes: 1 },
    });
    await es.client.indices.create({
      index,
      mappings: {
        properties: { '@timestamp': { type: 'date' }, pod: { type: 'keyword' }, node: { type: 'keyword' } },
      },
    });
    if (events.length > 0)
      await es.client.bulk({
        refresh: true,
        operations: events.flatMap((e) => [
          { index: { _index: index } },
          {
            '@timestamp': at(e.minute),
            pod: e.pod,
            node: e.node ?? 'node-1',
            message: `event at minute ${e.minute}`,
          },
        ]),
      });
  };

  /** The rule file, the engine and the alert path over the Elasticsearch writeback; a new one is a restart. */
  const processFor = (rule: Record<string, unknown>, clock: FakeClock) => {
    const file = ws.writeRule('rule.yaml', {
      name: 'resolving',
      index,
      alert: ['post'],
      http_post_url: `${receiver.url}/alert`,
      http_post_all_values: true,
      send_resolved: true,
      realert: { minutes: 0 },
      ...rule,
    });
    const global = testConfig(
      { ...esHostPort(), rules_folder: ws.rulesDir, run_every: { minutes: 1 }, buffer_time: { minutes: 1 } },
      ws.config,
    );
    const compiled = loadRuleFile(file, {
      global,
      env: () => undefined,
      catalogs: catalogs(),
      logger: silent,
    });
    const writeback = createEsWriteback(es.client, wb, { refresh: 'wait_for' });
    const stores = writebackStores(writeback);
    const pipeline = createAlertPipeline({
      clock,
      logger: silent,
      stores,
      firing: firingStore(stores.ruleState),
      alertTimeLimitMs: 86_400_000,
      maxAggregation: 100,
      retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    });
    const port = createEsSearchPort(es.client);
    const deps: EngineDeps = {
      clock,
      logger: silent,
      stores,
      sink: pipeline,
      search: () => port,
      globals: { runEveryMs: MIN, oldQueryLimitMs: 30 * 86_400_000 },
    };
    const rt: RuntimeRule = createRuntimeRule(compiled);
    return { rt, deps, pipeline, writeback };
  };

  /** Runs the rule once a minute until the clock reads `minute`, each run's deliveries awaited. */
  const stepper = (rule: Record<string, unknown>) => {
    const clock = new FakeClock(T0);
    let p = processFor(rule, clock);
    let ensured = false;
    return {
      clock,
      async runUntil(minute: number) {
        if (!ensured) {
          await p.writeback.ensureIndices();
          ensured = true;
        }
        while (clock.now() < T0 + minute * MIN) {
          clock.advance(MIN);
          const report = await runRule(p.rt, clock.now(), p.deps, {});
          expect(report.error).toBeUndefined();
          await settle(receiver);
        }
      },
      restart() {
        p = processFor(rule, clock);
      },
    };
  };

  /** Waits until the receiver has had no request for a while (deliveries are not awaited by runs). */
  const settle = async (r: Receiver) => {
    let seen = -1;
    while (seen !== r.received.length) {
      seen = r.received.length;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  };

  const posted = () => receiver.received.map((r) => r.json as Posted);
  const resolvedPosts = () => posted().filter((p) => p.resolved === true);
  const firingPosts = () => posted().filter((p) => p.resolved !== true);

  it('any: one resolved notification after resolve_timeout without a match, surviving a restart', async () => {
    await setup([
      { minute: 2, pod: 'api-1' },
      { minute: 4, pod: 'api-1' },
      { minute: 5, pod: 'web-1' },
      { minute: 14, pod: 'web-1' },
    ]);
    const s = stepper({ type: 'any', query_key: 'pod', resolve_timeout: { minutes: 10 } });
    await s.runUntil(8);
    expect(firingPosts().map((p) => p.pod)).toEqual(['api-1', 'api-1', 'web-1']);
    // the firing state is in the writeback, and a new process carries on from it
    await es.client.indices.refresh({ index: writebackIndex(wb, 'state') });
    const saved = await es.client.get<{ state: { key: string }[] }>({
      index: writebackIndex(wb, 'state'),
      id: firingStateId('resolving'),
    });
    expect(saved._source!.state.map((e) => e.key).sort()).toEqual(['api-1', 'web-1']);
    s.restart();
    await s.runUntil(30);
    expect(resolvedPosts()).toEqual([
      expect.objectContaining({
        pod: 'api-1',
        resolved: true,
        fired_at: at(2),
        resolved_at: at(14),
        duration: '0:12:00',
        duration_seconds: 720,
      }),
      expect.objectContaining({ pod: 'web-1', fired_at: at(5), resolved_at: at(24), duration: '0:19:00' }),
    ]);
  });

  it('blacklist: resolved after resolve_timeout without a blacklisted event', async () => {
    await setup([
      { minute: 2, pod: 'api-1' },
      { minute: 3, pod: 'web-1' },
      { minute: 4, pod: 'api-1' },
    ]);
    const s = stepper({
      type: 'blacklist',
      compare_key: 'pod',
      blacklist: ['api-1'],
      resolve_timeout: { minutes: 5 },
    });
    await s.runUntil(15);
    expect(firingPosts().map((p) => p['@timestamp'])).toEqual([at(2), at(4)]);
    expect(resolvedPosts()).toEqual([expect.objectContaining({ fired_at: at(2), resolved_at: at(9) })]);
  });

  it('change: resolved after resolve_timeout without another change', async () => {
    await setup([
      { minute: 1, pod: 'api-1', node: 'node-1' },
      { minute: 3, pod: 'api-1', node: 'node-2' },
      { minute: 4, pod: 'web-1', node: 'node-1' },
    ]);
    const s = stepper({
      type: 'change',
      query_key: 'pod',
      compare_key: 'node',
      ignore_null: true,
      resolve_timeout: { minutes: 5 },
    });
    await s.runUntil(15);
    expect(firingPosts().map((p) => [p.pod, p['@timestamp']])).toEqual([['api-1', at(3)]]);
    expect(resolvedPosts()).toEqual([
      expect.objectContaining({ pod: 'api-1', fired_at: at(3), resolved_at: at(8), duration: '0:05:00' }),
    ]);
  });

  it('frequency: resolved once a whole timeframe had fewer than num_events', async () => {
    await setup([...steady(0, 4, 2), ...steady(10, 11, 1)]);
    const s = stepper({ type: 'frequency', num_events: 5, timeframe: { minutes: 5 } });
    await s.runUntil(20);
    expect(firingPosts().length).toBeGreaterThan(0);
    const lastFiring = firingPosts().at(-1)!['@timestamp']!;
    expect(resolvedPosts()).toHaveLength(1);
    expect(resolvedPosts()[0]).toMatchObject({
      resolved: true,
      resolved_at: toIso(Date.parse(lastFiring) + 5 * MIN),
    });
  });

  it('flatline: resolved once events are back at the threshold over a timeframe', async () => {
    await setup([...steady(0, 10, 1), ...steady(20, 40, 1)]);
    const s = stepper({ type: 'flatline', threshold: 3, timeframe: { minutes: 5 } });
    await s.runUntil(19);
    expect(firingPosts().length).toBeGreaterThan(0);
    expect(resolvedPosts()).toEqual([]);
    await s.runUntil(30);
    expect(resolvedPosts()).toHaveLength(1);
    // the third event of the new stream comes at 22.5: from the run ending at 23 on, three in a timeframe
    expect(resolvedPosts()[0]).toMatchObject({ resolved: true, resolved_at: at(23) });
  });

  it('spike: resolved once the rate is back under spike_height', async () => {
    await setup([...steady(0, 20, 1), ...steady(20, 25, 10), ...steady(25, 60, 1)]);
    const s = stepper({ type: 'spike', spike_height: 3, spike_type: 'up', timeframe: { minutes: 5 } });
    await s.runUntil(26);
    expect(firingPosts()).toHaveLength(1);
    expect(resolvedPosts()).toEqual([]);
    await s.runUntil(50);
    expect(resolvedPosts()).toHaveLength(1);
    const r = resolvedPosts()[0]!;
    expect(Date.parse(r.resolved_at!)).toBeGreaterThan(T0 + 25 * MIN);
    expect(r.duration_seconds).toBe((Date.parse(r.resolved_at!) - Date.parse(r.fired_at!)) / 1000);
  });

  it('an alert the webhook refused gets no resolved notification', async () => {
    await setup([{ minute: 2, pod: 'api-1' }]);
    receiver.fallback = { status: 400, body: 'bad request' };
    const s = stepper({ type: 'any', resolve_timeout: { minutes: 3 } });
    await s.runUntil(10);
    expect(posted().map((p) => p.resolved === true)).toEqual([false]);
  });

  it('the app: a backfill sends the firing and the resolved notification through the rule alerters', async () => {
    await setup([{ minute: 2, pod: 'api-1' }]);
    ws.writeRule('rule.yaml', {
      name: 'resolving',
      type: 'any',
      index,
      alert: ['post'],
      http_post_url: `${receiver.url}/alert`,
      http_post_all_values: true,
      send_resolved: true,
      resolve_timeout: { minutes: 5 },
    });
    const app = await startApp(
      { configFile: ws.config, start: at(0), end: at(30) },
      {
        env: () => undefined,
        clock: new FakeClock(T0 + 60 * MIN),
        logger: silent,
        secrets: new SecretRegistry(),
      },
    );
    await app.finished;
    await app.stop();
    expect(app.loaded.errors).toEqual([]);
    expect(posted().map((p) => [p.resolved === true, p['@timestamp']])).toEqual([
      [false, at(2)],
      [true, at(7)],
    ]);
  });
});
