/**
 * send_resolved against the real Elasticsearch, driven a minute at a time: events written to an
 * index of their own, the rule run once a minute (a fake clock stepped by the test), the alert
 * path over the Elasticsearch writeback (firing state in <wb>_esalert_state) and the rule's
 * alerters delivering to a real HTTP receiver on 127.0.0.1: `post` (every value of the match, at
 * /alert) and, with `withTitle`, Slack (the title in its attachment, at /slack).
 */
import { pino } from 'pino';
import { expect } from 'vitest';
import { createAlertPipeline, type RetryPolicy, type Undelivered } from '../../../src/alerts/pipeline.ts';
import { catalogs } from '../../../src/app/catalogs.ts';
import { loadRuleFile } from '../../../src/compile/compile-rule.ts';
import { type EngineDeps, runRule } from '../../../src/engine/run-rule.ts';
import { createRuntimeRule } from '../../../src/engine/runtime-rule.ts';
import { FakeClock } from '../../../src/model/clock.ts';
import { createEsSearchPort } from '../../../src/query/es-search-port.ts';
import { createEsWriteback } from '../../../src/state/es-writeback.ts';
import { firingStore } from '../../../src/state/firing-store.ts';
import { writebackStores } from '../../../src/state/writeback.ts';
import { toIso } from '../../../src/util/time.ts';
import { testConfig } from '../../support/config.ts';
import { esHostPort, uniqueName } from '../helpers.ts';
import { type Receiver, startReceiver } from './http-receiver.ts';
import { testEsHooks } from './test-es-hooks.ts';
import { makeWorkspace, type Workspace } from './workspace.ts';

export const MIN = 60_000;
export const T0 = Date.parse('2025-03-01T00:00:00Z');
export const at = (minute: number) => toIso(T0 + minute * MIN);

/** An event of the test index; `value` is a double (metric aggregations). */
export interface TestEvent {
  minute: number;
  pod: string;
  node?: string;
  value?: number;
}

/** `perMinute` events a minute for pod `pod` in [from, to), with `extra` fields. */
export const steady = (
  from: number,
  to: number,
  perMinute = 1,
  pod = 'api-1',
  extra: Partial<TestEvent> = {},
): TestEvent[] =>
  Array.from({ length: (to - from) * perMinute }, (_, i) => ({
    minute: from + (i + 0.5) / perMinute,
    pod,
    ...extra,
  }));

/** What the `post` alerter sends (http_post_all_values). */
export interface Posted {
  resolved?: boolean;
  fired_at?: string;
  resolved_at?: string;
  duration?: string;
  duration_seconds?: number;
  pod?: string;
  '@timestamp'?: string | number;
}

export interface ResolveStepper {
  clock: FakeClock;
  /** Runs the rule once a minute until the clock reads `minute`, waiting for each run's deliveries. */
  runUntil(minute: number): Promise<void>;
  /** A new process over the same writeback: the firing state is read from it again. */
  restart(): void;
  /** The outbox: sends what the alert log holds unsent; the number of alerts it started. */
  flush(): Promise<number>;
  /** Alerts that did not reach every alerter (this process). */
  undelivered(): Undelivered[];
}

export interface ResolveHarness {
  readonly es: ReturnType<typeof testEsHooks>['es'];
  readonly receiver: Receiver;
  readonly ws: Workspace;
  readonly index: string;
  readonly wb: string;
  /** The receiver, the workspace, the index with `events`; undone after the test. */
  setup(events: TestEvent[]): Promise<void>;
  stepper(rule: Record<string, unknown>, opts?: { withTitle?: boolean; retry?: RetryPolicy }): ResolveStepper;
  /** The `post` alerter's requests, in order; resolved and firing ones. */
  posted(): Posted[];
  resolvedPosts(): Posted[];
  firingPosts(): Posted[];
  /** The titles Slack got, in order. */
  titles(): string[];
  /** Waits until the receiver has had no request for a while (runs do not wait for deliveries). */
  settle(): Promise<void>;
}

const silent = pino({ level: 'silent' });

/** Registers the test Elasticsearch hooks of the describe block it is called in. */
export function resolveHarness(): ResolveHarness {
  const hooks = testEsHooks();
  let receiver: Receiver | undefined;
  let ws: Workspace | undefined;
  let index = '';
  let wb = '';
  const need = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('call setup() first');
    return v;
  };

  const settle = async () => {
    const r = need(receiver);
    let seen = -1;
    while (seen !== r.received.length) {
      seen = r.received.length;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  };

  /** The rule file, the engine and the alert path over the Elasticsearch writeback. */
  const processFor = (
    rule: Record<string, unknown>,
    clock: FakeClock,
    opts: { withTitle?: boolean; retry?: RetryPolicy },
  ) => {
    const w = need(ws);
    const url = need(receiver).url;
    const file = w.writeRule('rule.yaml', {
      name: 'resolving',
      index,
      alert: opts.withTitle ? ['post', 'slack'] : ['post'],
      http_post_url: `${url}/alert`,
      http_post_all_values: true,
      ...(opts.withTitle ? { slack_webhook_url: `${url}/slack` } : {}),
      send_resolved: true,
      realert: { minutes: 0 },
      ...rule,
    });
    const global = testConfig(
      { ...esHostPort(), rules_folder: w.rulesDir, run_every: { minutes: 1 }, buffer_time: { minutes: 1 } },
      w.config,
    );
    const compiled = loadRuleFile(file, {
      global,
      env: () => undefined,
      catalogs: catalogs(),
      logger: silent,
    });
    const writeback = createEsWriteback(hooks.es.client, wb, { refresh: 'wait_for' });
    const stores = writebackStores(writeback);
    const pipeline = createAlertPipeline({
      clock,
      logger: silent,
      stores,
      firing: firingStore(stores.ruleState),
      alertTimeLimitMs: 86_400_000,
      maxAggregation: 100,
      retry: opts.retry ?? { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    });
    const port = createEsSearchPort(hooks.es.client);
    const deps: EngineDeps = {
      clock,
      logger: silent,
      stores,
      sink: pipeline,
      search: () => port,
      globals: { runEveryMs: MIN, oldQueryLimitMs: 30 * 86_400_000 },
    };
    return { rt: createRuntimeRule(compiled), deps, pipeline, writeback };
  };

  const posted = () =>
    need(receiver)
      .received.filter((r) => r.pathname === '/alert')
      .map((r) => r.json as Posted);

  return {
    get es() {
      return hooks.es;
    },
    get receiver() {
      return need(receiver);
    },
    get ws() {
      return need(ws);
    },
    get index() {
      return index;
    },
    get wb() {
      return wb;
    },

    async setup(events) {
      const es = hooks.es;
      receiver = await startReceiver({ status: 200, body: 'ok' });
      const r = receiver;
      hooks.cleanup.push(() => r.close());
      index = uniqueName('resolved-events');
      wb = uniqueName('esalert_resolved');
      const [i, b] = [index, wb];
      hooks.cleanup.push(() => es.client.indices.delete({ index: `${i},${b}*` }).catch(() => {}));
      ws = makeWorkspace({
        ...esHostPort(),
        writeback_index: wb,
        run_every: { minutes: 1 },
        buffer_time: { minutes: 1 },
      });
      const w = ws;
      hooks.cleanup.push(() => w.remove());
      await es.client.indices.create({
        index,
        mappings: {
          properties: {
            '@timestamp': { type: 'date' },
            pod: { type: 'keyword' },
            node: { type: 'keyword' },
            value: { type: 'double' },
          },
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
              ...(e.value !== undefined ? { value: e.value } : {}),
              message: `event at minute ${e.minute}`,
            },
          ]),
        });
    },

    stepper(rule, opts = {}) {
      const clock = new FakeClock(T0);
      let p = processFor(rule, clock, opts);
      let ensured = false;
      return {
        clock,
        async runUntil(minute) {
          if (!ensured) {
            await p.writeback.ensureIndices();
            // writes wait for a refresh (refresh: wait_for): a short interval keeps a minute's run short
            await hooks.es.client.indices.putSettings({
              index: `${wb}*`,
              settings: { index: { refresh_interval: '100ms' } },
            });
            ensured = true;
          }
          while (clock.now() < T0 + minute * MIN) {
            clock.advance(MIN);
            const report = await runRule(p.rt, clock.now(), p.deps, {});
            expect(report.error).toBeUndefined();
            // deliveries (channel rate limits included) are not awaited by runs
            expect(await p.pipeline.settle(60_000)).toBe(true);
            await settle();
          }
        },
        restart() {
          p = processFor(rule, clock, opts);
        },
        async flush() {
          const started = await p.pipeline.flushDue(new Map([[p.rt.rule.name, p.rt]]));
          expect(await p.pipeline.settle(60_000)).toBe(true);
          await settle();
          return started;
        },
        undelivered: () => p.pipeline.undelivered(),
      };
    },

    posted,
    resolvedPosts: () => posted().filter((p) => p.resolved === true),
    firingPosts: () => posted().filter((p) => p.resolved !== true),
    titles: () =>
      need(receiver)
        .received.filter((r) => r.pathname === '/slack')
        .map((r) => (r.json as { attachments: { title: string }[] }).attachments[0]!.title),
    settle,
  };
}
