/**
 * self_alert against the real Elasticsearch and real HTTP receivers: esalert running live (the
 * system clock) sends one message, then one resolved message, when Elasticsearch goes away
 * (a TCP proxy in front of it is shut, then opened again), when a webhook refuses alerts (then
 * takes them), when a rule file is broken (then fixed), and when a rule keeps failing (then is
 * fixed).
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type App, startApp } from '../../src/app/app.ts';
import { SecretRegistry } from '../../src/app/logger.ts';
import { systemClock } from '../../src/model/clock.ts';
import { esHostPort, uniqueName } from './helpers.ts';
import { type Receiver, startReceiver } from './support/http-receiver.ts';
import { until } from './support/service.ts';
import { startClosableProxy, type ClosableProxy } from './support/closable-proxy.ts';
import { testEsHooks } from './support/test-es-hooks.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const silent = pino({ level: 'silent' });

interface SelfMessage {
  condition: string;
  message: string;
  resolved: boolean;
  fired_at?: string;
  resolved_at?: string;
  duration?: string;
}

describe('self_alert end to end', () => {
  const hooks = testEsHooks();
  let self: Receiver;
  let hook: Receiver;
  let proxy: ClosableProxy;
  let ws: Workspace;
  let app: App | undefined;
  let index: string;

  const messages = () => self.received.map((r) => r.json as SelfMessage);
  const about = (condition: string) => messages().filter((m) => m.condition === condition);

  /**
   * Starts the app; `rules` are written once the index and the receivers exist, `selfAlert` is
   * laid over the self_alert section. Everything is undone after the test, the app first.
   */
  const start = async (
    rules: () => Record<string, string | Record<string, unknown>> = () => ({}),
    selfAlert: Record<string, unknown> = {},
  ) => {
    const { es, cleanup } = hooks;
    self = await startReceiver({ status: 200, body: 'ok' });
    hook = await startReceiver({ status: 200, body: 'ok' });
    const [s, h] = [self, hook];
    cleanup.push(
      () => s.close(),
      () => h.close(),
    );
    const { es_host, es_port } = esHostPort();
    proxy = await startClosableProxy(es_host, es_port);
    const p = proxy;
    cleanup.push(() => p.close());
    const wb = uniqueName('esalert_self');
    index = uniqueName('self-events');
    const i = index;
    cleanup.push(() => es.client.indices.delete({ index: `${wb}*,${i}` }).catch(() => {}));
    await es.client.indices.create({ index, mappings: { properties: { '@timestamp': { type: 'date' } } } });
    ws = makeWorkspace({
      es_host: '127.0.0.1',
      es_port: proxy.port,
      run_every: { seconds: 1 },
      buffer_time: { minutes: 5 },
      writeback_index: wb,
      // a broken rule file is reported, and the others run
      skip_invalid: true,
      alert_retry: { attempts: 1, delay: { milliseconds: 50 }, max_delay: { milliseconds: 100 } },
      self_alert: {
        alert: ['post'],
        http_post_url: `${self.url}/self`,
        es_unreachable_after: { seconds: 2 },
        rule_failures: 2,
        alerter_failing_after: { minutes: 5 },
        check_every: { milliseconds: 300 },
        ...selfAlert,
      },
    });
    const w = ws;
    cleanup.push(() => w.remove());
    for (const [file, rule] of Object.entries(rules())) ws.writeRule(file, rule);
    app = await startApp(
      { configFile: ws.config, reloadEveryMs: 300, drainMs: 5000 },
      {
        env: () => undefined,
        clock: systemClock,
        logger: silent,
        secrets: new SecretRegistry(),
      },
    );
    cleanup.push(async () => {
      await app?.stop();
      app = undefined;
    });
  };

  const anyRule = (extra: Record<string, unknown> = {}) => ({
    name: 'events',
    type: 'any',
    index,
    realert: { minutes: 0 },
    alert: ['post'],
    http_post_url: `${hook.url}/alert`,
    ...extra,
  });

  it('Elasticsearch unreachable: one message, then one resolved message once it answers again', async () => {
    await start();
    await new Promise((r) => setTimeout(r, 1000));
    expect(about('es')).toEqual([]);
    await proxy.shut();
    await until('the es message', () => about('es').length === 1);
    expect(about('es')[0]).toMatchObject({ resolved: false, message: 'Elasticsearch is unreachable' });
    // still down: no second message
    await new Promise((r) => setTimeout(r, 1500));
    expect(about('es')).toHaveLength(1);
    await proxy.open();
    await until('the resolved es message', () => about('es').length === 2);
    expect(about('es')[1]).toMatchObject({ resolved: true, message: 'Elasticsearch is unreachable' });
    expect(Date.parse(about('es')[1]!.resolved_at!)).toBeGreaterThan(Date.parse(about('es')[1]!.fired_at!));
  });

  it('a webhook refusing alerts: one message, then one resolved message once it takes them', async () => {
    await start();
    hook.fallback = { status: 400, body: 'invalid payload' };
    ws.writeRule('events.yaml', anyRule());
    await hooks.es.client.index({
      index,
      refresh: true,
      document: { '@timestamp': new Date().toISOString() },
    });
    await until('the alerter message', () => about('alerter:post').length === 1);
    expect(about('alerter:post')[0]).toMatchObject({
      resolved: false,
      message: 'the post alerter refuses alerts',
    });
    hook.fallback = { status: 200, body: 'ok' };
    // the outbox sends the refused alert again; this time it gets through
    await until('the resolved alerter message', () => about('alerter:post').length === 2);
    expect(about('alerter:post')[1]).toMatchObject({ resolved: true });
    expect(hook.received.filter((r) => r.path === '/alert').length).toBeGreaterThanOrEqual(2);
  });

  it('a broken rule file: one message, then one resolved message once it loads', async () => {
    await start(() => ({ 'broken.yaml': 'name: broken\ntype: frequncy\nindex: x\nalert: [debug]\n' }));
    await until('the load message', () => messages().some((m) => m.condition.startsWith('load:')));
    const [fired] = messages().filter((m) => m.condition.startsWith('load:'));
    expect(fired!.condition).toMatch(/^load:.*broken\.yaml$/);
    expect(fired!.message).toMatch(/rule file .*broken\.yaml does not load/);
    ws.writeRule('broken.yaml', anyRule({ name: 'broken', alert: ['debug'] }));
    await until('the resolved load message', () => about(fired!.condition).length === 2);
    expect(about(fired!.condition)[1]).toMatchObject({ resolved: true });
  });

  it('a rule failing runs in a row: one message, then one resolved message once it runs', async () => {
    // a filter Elasticsearch rejects when the rule runs (the rule loads)
    const bad = { script: { script: { source: 'this is not a script (', lang: 'painless' } } };
    await start(() => ({ 'failing.yaml': anyRule({ name: 'failing', alert: ['debug'], filter: [bad] }) }));
    // Elasticsearch does not look at the query of a shard without documents
    await hooks.es.client.index({
      index,
      refresh: true,
      document: { '@timestamp': new Date().toISOString() },
    });
    await until('the rule message', () => about('rule:failing').length === 1);
    expect(about('rule:failing')[0]).toMatchObject({
      resolved: false,
      message: 'rule failing keeps failing',
    });
    ws.writeRule('failing.yaml', anyRule({ name: 'failing', alert: ['debug'] }));
    await until('the resolved rule message', () => about('rule:failing').length === 2);
    expect(about('rule:failing')[1]).toMatchObject({ resolved: true });
  });

  it('alerts left unsent: one message once the oldest is older than outbox_age, one resolved once it got through', async () => {
    // refusing for a while (a retryable error): the alert stays unsent in the alert log
    await start(() => ({}), { outbox_age: { seconds: 2 } });
    hook.fallback = { status: 503, body: 'busy' };
    ws.writeRule('events.yaml', anyRule());
    await hooks.es.client.index({
      index,
      refresh: true,
      document: { '@timestamp': new Date().toISOString() },
    });
    await until('the first try', () => hook.received.some((r) => r.path === '/alert'));
    await until('the outbox message', () => about('outbox').length === 1);
    expect(about('outbox')[0]).toMatchObject({ resolved: false, message: 'alerts are waiting to be sent' });
    // the alerter is failing (retryable), not for alerter_failing_after yet: only the outbox is reported
    expect(messages().map((m) => m.condition)).toEqual(['outbox']);
    hook.fallback = { status: 200, body: 'ok' };
    await until('the resolved outbox message', () => about('outbox').length === 2);
    const [fired, resolved] = about('outbox');
    expect(resolved).toMatchObject({ resolved: true, fired_at: fired!.fired_at });
    expect(hook.received.filter((r) => r.path === '/alert').at(-1)!.at).toBeLessThan(
      self.received.at(-1)!.at,
    );
    // nothing older than outbox_age is left: no second message
    await new Promise((r) => setTimeout(r, 1500));
    expect(about('outbox')).toHaveLength(2);
  });

  it('heartbeat: "esalert is running" on its schedule, naming the open problems', async () => {
    await start(() => ({}), { heartbeat: { seconds: 1 } });
    await until('two heartbeats', () => about('heartbeat').length >= 2);
    const beats = self.received
      .filter((r) => (r.json as SelfMessage).condition === 'heartbeat')
      .map((r) => r.json as SelfMessage & { '@timestamp': string; firing: string[] });
    expect(beats[0]).toMatchObject({ message: 'esalert is running', firing: [] });
    // one per heartbeat period at most, by esalert's clock
    expect(Date.parse(beats[1]!['@timestamp']) - Date.parse(beats[0]!['@timestamp'])).toBeGreaterThanOrEqual(
      1000,
    );
    // a problem open meanwhile is named in the next heartbeat
    await proxy.shut();
    await until('the es message', () => about('es').length === 1);
    const n = about('heartbeat').length;
    await until('a heartbeat after it', () => about('heartbeat').length > n);
    expect(about('heartbeat').at(-1)).toMatchObject({ firing: ['es'] });
    expect(about('es')).toHaveLength(1);
  });
});
