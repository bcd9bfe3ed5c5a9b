/**
 * The console's source over a real esalert run: `run --data` (the scheduler, engine and alert
 * pipeline of `run`, over events in memory, the writeback in memory), then what the console
 * reads from it and what it changes.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startApp } from '../../../src/app/app.ts';
import { createConsoleSource } from '../../../src/app/console/console-source.ts';
import { SecretRegistry } from '../../../src/app/logger.ts';
import type { ConsoleSource } from '../../../src/http/console/console-source.ts';
import { Observability } from '../../../src/http/observability.ts';
import { systemClock } from '../../../src/model/clock.ts';
import type { MemoryDocument } from '../../../src/query/memory/memory-search-port.ts';
import { makeWorkspace, type Workspace } from '../../integration/support/workspace.ts';

const POD = 'api-7c9f8d6b5-x2k4p';
const T0 = Date.parse('2024-05-14T03:00:00Z');
const SECRET = 'hook-secret-6b1f0a';

function event(i: number, o: { pod?: string; reason?: string; type?: string } = {}): MemoryDocument {
  const at = new Date(T0 + i * 30_000).toISOString();
  return {
    _id: `e${i}-${o.pod ?? POD}`,
    _index: 'eventrouter-2024-05-14',
    _source: {
      '@timestamp': at,
      verb: 'ADDED',
      event: {
        type: o.type ?? 'Warning',
        reason: o.reason ?? 'BackOff',
        message: `Back-off restarting failed container api in pod ${o.pod ?? POD}`,
        involvedObject: { kind: 'Pod', namespace: 'prod', name: o.pod ?? POD },
        lastTimestamp: at,
        count: i + 1,
        source: { component: 'kubelet', host: 'node-1' },
      },
    },
  };
}

describe('the console source over a run', () => {
  let ws: Workspace;
  let app: App;
  let source: ConsoleSource;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    ws = makeWorkspace({
      writeback_index: 'wb',
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      alert_retry: { attempts: 1 },
    });
    ws.writeRule('crashloop.yaml', {
      name: 'crashloop',
      type: 'frequency',
      index: 'eventrouter-*',
      num_events: 3,
      timeframe: { minutes: 10 },
      query_key: 'event.involvedObject.name.keyword',
      filter: [{ term: { 'event.reason.keyword': 'BackOff' } }],
      realert: { minutes: 30 },
      alert_subject: 'CrashLoop {0}',
      alert_subject_args: ['event.involvedObject.name'],
      alert: ['debug', { post: { http_post_url: `http://127.0.0.1:9/x?token=${SECRET}` } }],
    });
    const docs = [
      ...Array.from({ length: 6 }, (_, i) => event(i)),
      ...Array.from({ length: 4 }, (_, i) => event(i, { pod: 'web-6d4cf56db6-2jt5x' })),
      event(20, { pod: 'web-6d4cf56db6-2jt5x', reason: 'Pulled', type: 'Normal' }),
    ];
    const observability = new Observability();
    const secrets = new SecretRegistry();
    const logger = pino({ level: 'silent' });
    app = await startApp(
      { configFile: ws.config, data: docs, pinRules: true, drainMs: 1000 },
      { env: () => undefined, clock: systemClock, logger, secrets, observability },
    );
    await app.finished;
    source = createConsoleSource(app, { observability, clock: systemClock, logger, secrets });
    // deliveries leave in the background: wait until both alerts know how theirs went
    for (let i = 0; i < 100; i++) {
      const r = await source.alerts({ offset: 0, limit: 10, state: 'pending' }, signal);
      if (r.total === 0) break;
      await new Promise((done) => setTimeout(done, 100));
    }
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    ws?.remove();
  });

  it('lists the rules with their last run and the realert silences in force', async () => {
    const r = await source.rules(signal);
    expect(r.rules.map((x) => x.name)).toEqual(['crashloop']);
    const row = r.rules[0]!;
    expect(row).toMatchObject({
      type: 'frequency',
      index: 'eventrouter-*',
      schedule: 'every 1m',
      owner: null,
    });
    expect(row.lastRun?.matches).toBeGreaterThan(0);
    expect(row.silences.map((s) => [s.queryKey, s.kind]).sort()).toEqual([
      [POD, 'realert'],
      ['web-6d4cf56db6-2jt5x', 'realert'],
    ]);
    const detail = await source.rule('crashloop', signal);
    expect(detail?.yaml).toContain('token=***');
    expect(detail?.yaml).not.toContain(SECRET);
    expect(detail?.alerters).toEqual(['0:debug', '1:post']);
    expect((await source.runs('crashloop', 10, signal))?.[0]).toMatchObject({ source: 'live' });
    expect(await source.rule('nope', signal)).toBeUndefined();
  });

  it('shows alerts with their text, query_key, delivery per alerter and each attempt', async () => {
    const all = await source.alerts({ offset: 0, limit: 10 }, signal);
    expect(all.total).toBe(2);
    const a = all.alerts.find((x) => x.queryKey === POD)!;
    expect(a.title).toBe(`CrashLoop ${POD}`);
    expect(a.text).toContain('At least 3 events occurred');
    expect(a.state).toBe('failed');
    expect(a.deliveries).toEqual([
      { alerter: '0:debug', delivered: true },
      { alerter: '1:post', delivered: false },
    ]);
    expect(a.attempts.map((x) => [x.alerter, x.ok])).toEqual(
      expect.arrayContaining([
        ['0:debug', true],
        ['1:post', false],
      ]),
    );
    expect(a.attempts.find((x) => !x.ok)?.error).toContain('ECONNREFUSED');
    const one = await source.alerts({ offset: 0, limit: 10, queryKey: 'web-6d4cf56db6-2jt5x' }, signal);
    expect(one.alerts.map((x) => x.queryKey)).toEqual(['web-6d4cf56db6-2jt5x']);
    expect(one.scanned).toBe(2);
    expect((await source.alerts({ offset: 0, limit: 10, state: 'delivered' }, signal)).total).toBe(0);
  });

  it('sets a silence with its author and reason, and lifts it with the realert silences of its key', async () => {
    const s = await source.setSilence(
      { rule: 'crashloop', queryKey: POD, duration: '2h', reason: 'fixing', author: 'alice' },
      signal,
    );
    expect(s).toMatchObject({
      key: `crashloop.${POD}`,
      rule: 'crashloop',
      queryKey: POD,
      author: 'alice',
      reason: 'fixing',
      kind: 'manual',
      active: true,
    });
    const whole = await source.setSilence(
      { rule: 'crashloop', duration: '1h', reason: 'all of it', author: 'bob' },
      signal,
    );
    expect(whole).toMatchObject({ key: 'crashloop._silence', queryKey: null, kind: 'manual' });
    const listed = (await source.silences({ all: false }, signal)).silences;
    expect(
      listed
        .filter((x) => x.kind === 'manual')
        .map((x) => x.author)
        .sort(),
    ).toEqual(['alice', 'bob']);
    expect(await source.liftSilence(s.id, 'alice', signal)).toBe(true);
    const after = (await source.silences({ all: false, rule: 'crashloop' }, signal)).silences;
    expect(after.filter((x) => x.key === `crashloop.${POD}`)).toEqual([]);
    expect(await source.liftSilence('no-such-id', 'alice', signal)).toBe(false);
    await expect(
      source.setSilence({ rule: 'crashloop', duration: 'soon', reason: 'x', author: 'a' }, signal),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      source.setSilence({ rule: 'nope', duration: '1h', reason: 'x', author: 'a' }, signal),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("explains a window: queries, each match's fate and the text that would be sent", async () => {
    const r = await source.explain('crashloop', { start: T0 - 60_000, end: T0 + 15 * 60_000 }, signal);
    expect(r?.segments.length).toBeGreaterThan(0);
    expect(r?.hits).toBe(10);
    // the whole rule is silenced (bob, above): every match is held back
    expect(r?.matches.every((m) => m.outcome === 'silenced')).toBe(true);
  });

  it("tells a workload's events and the alerts raised about it", async () => {
    const w = await source.k8sWorkloads({ from: T0 - 60_000, to: T0 + 3_600_000 }, signal);
    expect(w.namespaces).toEqual([
      {
        name: 'prod',
        events: 11,
        workloads: [
          { kind: 'Deployment', name: 'api', events: 6, warnings: 6 },
          { kind: 'Deployment', name: 'web', events: 5, warnings: 4 },
        ],
      },
    ]);
    const t = await source.k8sTimeline(
      { namespace: 'prod', workload: 'web', from: T0 - 60_000, to: T0 + 3_600_000 },
      signal,
    );
    expect(t.events.map((e) => e.reason)).toEqual(['Pulled', 'BackOff', 'BackOff', 'BackOff', 'BackOff']);
    expect(t.events[1]).toMatchObject({
      type: 'Warning',
      kind: 'Pod',
      name: 'web-6d4cf56db6-2jt5x',
      source: 'kubelet on node-1',
    });
    expect(t.alerts.map((a) => a.queryKey)).toEqual(['web-6d4cf56db6-2jt5x']);
  });
});
