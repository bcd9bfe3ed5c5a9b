/**
 * send_resolved over the whole path (engine, alert path, memory stores and search port): when a
 * key that alerted clears, one resolved notification, per rule type semantics; silences and
 * realert hold back firing notifications only; a key never notified gets none.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertContent, Alerter } from '../../../src/alerters/alerter.ts';
import { recordingAlerter } from '../../../src/app/dry-run.ts';
import { runRule } from '../../../src/engine/run-rule.ts';
import { createRuntimeRule, type RuntimeRule } from '../../../src/engine/runtime-rule.ts';
import { FakeClock } from '../../../src/model/clock.ts';
import { createMemorySearchPort } from '../../../src/query/memory/memory-search-port.ts';
import { firingStore } from '../../../src/state/firing-store.ts';
import { createMemoryWriteback } from '../../../src/state/memory-writeback.ts';
import { writebackStores } from '../../../src/state/writeback.ts';
import { compileTestRule } from '../../support/compiled-rule.ts';
import { memoryAlertPath } from '../../support/memory-alert-path.ts';
import { toIso } from '../../../src/util/time.ts';

const MIN = 60_000;
const T0 = Date.parse('2025-03-01T00:00:00Z');
const at = (minute: number) => toIso(T0 + minute * MIN);

interface Event {
  minute: number;
  pod?: string;
}

/** Lets queued deliveries (which runs do not wait for) finish. */
const settle = async () => {
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
};

function world(events: Event[], rule: Record<string, unknown>, alerter?: Alerter) {
  const docs = events.map((e, i) => ({
    _id: `d${i}`,
    _index: 'events',
    _source: { '@timestamp': at(e.minute), pod: e.pod ?? 'api-1', message: 'x' },
  }));
  const port = createMemorySearchPort(docs);
  const clock = new FakeClock(T0);
  const store = createMemoryWriteback();
  const sent: AlertContent[] = [];
  const path = memoryAlertPath(clock, {
    store,
    alerters: () => [alerter ?? recordingAlerter(sent)],
    deps: { firing: firingStore(store), retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 } },
  });
  const compiled = compileTestRule({
    name: 'r',
    index: 'events',
    alert: 'debug',
    send_resolved: true,
    run_every: { minutes: 1 },
    buffer_time: { minutes: 1 },
    realert: { minutes: 0 },
    ...rule,
  });
  let rt: RuntimeRule = createRuntimeRule(compiled);
  const deps = {
    clock,
    logger: pino({ level: 'silent' }),
    stores: writebackStores(store),
    sink: path.pipeline,
    search: () => port,
    globals: { runEveryMs: MIN, oldQueryLimitMs: 7 * 86_400_000 },
  };
  /** Runs the rule once a minute until `minute`. */
  const runUntil = async (minute: number) => {
    while (clock.now() < T0 + minute * MIN) {
      clock.advance(MIN);
      await runRule(rt, clock.now(), deps, {});
      await settle();
    }
  };
  /** A new process: the rule type and pipeline start over, the stores stay. */
  const restart = () => {
    rt = createRuntimeRule(compiled);
  };
  return { runUntil, sent, store, restart, clock, pipeline: path.pipeline, rule: () => rt };
}

const resolved = (sent: AlertContent[]) => sent.filter((c) => c.matches[0]?.resolved === true);
const firing = (sent: AlertContent[]) => sent.filter((c) => c.matches[0]?.resolved !== true);

describe('send_resolved', () => {
  it('any: resolved once no match came for resolve_timeout, with fired_at, resolved_at and duration', async () => {
    const w = world([{ minute: 2 }, { minute: 4 }], { type: 'any', resolve_timeout: { minutes: 10 } });
    await w.runUntil(13);
    expect(firing(w.sent)).toHaveLength(2);
    expect(resolved(w.sent)).toHaveLength(0);
    await w.runUntil(16);
    const [r] = resolved(w.sent);
    expect(resolved(w.sent)).toHaveLength(1);
    expect(r!.matches[0]).toMatchObject({
      resolved: true,
      fired_at: at(2),
      resolved_at: at(14),
      duration: '0:12:00',
      duration_seconds: 720,
      pod: 'api-1',
    });
    expect(r!.title).toBe('[RESOLVED] r');
    expect(r!.body).toMatch(
      /^\[RESOLVED\] r\n\nThe condition cleared at 2025-03-01 00:14 UTC\. It fired at 2025-03-01 00:02 UTC and lasted 0:12:00\./,
    );
  });

  it('a rule whose lease comes back reads its firing state again: what another instance resolved is not resolved twice', async () => {
    const w = world([{ minute: 2 }], { type: 'any', resolve_timeout: { minutes: 5 } });
    await w.runUntil(4);
    expect(firing(w.sent)).toHaveLength(1);
    // meanwhile another instance held the rule and sent the resolved notice (the key is stored as cleared)
    await firingStore(w.store).saveFiring('r', []);
    w.pipeline.forgetFiring('r');
    await w.runUntil(12);
    expect(resolved(w.sent)).toHaveLength(0);
  });

  it('a key per query_key value: only the one that went quiet resolves', async () => {
    const w = world(
      [
        { minute: 2, pod: 'a' },
        { minute: 3, pod: 'b' },
        ...[6, 9, 12, 15, 18].map((m) => ({ minute: m, pod: 'b' })),
      ],
      { type: 'any', query_key: 'pod', resolve_timeout: { minutes: 5 } },
    );
    await w.runUntil(20);
    expect(resolved(w.sent).map((c) => c.matches[0]!.pod)).toEqual(['a']);
  });

  it('frequency: resolved after a whole timeframe with fewer than num_events', async () => {
    const burst = [1, 2, 3, 4].map((minute) => ({ minute }));
    const w = world([...burst, { minute: 8 }], {
      type: 'frequency',
      num_events: 3,
      timeframe: { minutes: 5 },
    });
    await w.runUntil(7);
    expect(firing(w.sent)).toHaveLength(1);
    await w.runUntil(8);
    expect(resolved(w.sent)).toHaveLength(1);
    expect(resolved(w.sent)[0]!.matches[0]).toMatchObject({ fired_at: at(3), resolved_at: at(8) });
  });

  it('flatline: resolved once events are back at the threshold over a timeframe', async () => {
    const steady = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({ minute: from + i + 0.5 }));
    const w = world([...steady(0, 10), ...steady(20, 30)], {
      type: 'flatline',
      threshold: 3,
      timeframe: { minutes: 5 },
      realert: { minutes: 0 },
    });
    await w.runUntil(20);
    expect(firing(w.sent).length).toBeGreaterThan(0);
    expect(resolved(w.sent)).toHaveLength(0);
    await w.runUntil(30);
    expect(resolved(w.sent)).toHaveLength(1);
    const m = resolved(w.sent)[0]!.matches[0]!;
    expect(m.resolved_at).toBe(at(23));
  });

  it('spike: resolved once the rate is back under spike_height', async () => {
    const steady = (from: number, to: number, perMinute: number) =>
      Array.from({ length: (to - from) * perMinute }, (_, i) => ({ minute: from + i / perMinute }));
    const w = world([...steady(0, 20, 1), ...steady(20, 25, 10), ...steady(25, 60, 1)], {
      type: 'spike',
      spike_height: 3,
      spike_type: 'up',
      timeframe: { minutes: 5 },
    });
    await w.runUntil(26);
    expect(firing(w.sent)).toHaveLength(1);
    expect(resolved(w.sent)).toHaveLength(0);
    await w.runUntil(45);
    expect(resolved(w.sent)).toHaveLength(1);
  });

  it('firing state survives a restart', async () => {
    const w = world([{ minute: 2 }], { type: 'any', resolve_timeout: { minutes: 5 } });
    await w.runUntil(4);
    w.restart();
    await w.runUntil(9);
    expect(resolved(w.sent)).toHaveLength(1);
  });

  it('realert holds back firing notifications, not resolved ones; a key never notified gets none', async () => {
    const w = world([{ minute: 2 }, { minute: 10 }, { minute: 20 }], {
      type: 'any',
      resolve_timeout: { minutes: 3 },
      realert: { minutes: 15 },
    });
    await w.runUntil(30);
    // minute 2 fires and resolves at 5; minute 10 falls under the realert of minute 2's alert:
    // nothing was notified, so nothing resolves; minute 20 fires again and resolves at 23
    expect(w.sent.map((c) => [c.matches[0]!.resolved === true, c.matches[0]!['@timestamp']])).toEqual([
      [false, at(2)],
      [true, at(5)],
      [false, at(20)],
      [true, at(23)],
    ]);
  });

  it('an alert never delivered gets no resolved notification', async () => {
    const tries: AlertContent[] = [];
    const refusing: Alerter = {
      ...recordingAlerter([]),
      async send(content) {
        tries.push(content);
        return { ok: false, retryable: false, reason: 'refused' };
      },
    };
    const w = world([{ minute: 2 }], { type: 'any', resolve_timeout: { minutes: 3 } }, refusing);
    await w.runUntil(10);
    expect(tries.map((c) => c.matches[0]!.resolved === true)).toEqual([false]);
  });

  it('a resolved notification not delivered stays unsent in the alert log, is listed, and is resent after a restart', async () => {
    const tries: AlertContent[] = [];
    let refuse = true;
    const flaky: Alerter = {
      ...recordingAlerter(tries),
      async send(content) {
        tries.push(content);
        if (refuse && content.matches[0]!.resolved === true)
          return { ok: false, retryable: true, reason: 'busy' };
        return { ok: true };
      },
    };
    const w = world([{ minute: 2 }], { type: 'any', resolve_timeout: { minutes: 3 } }, flaky);
    await w.runUntil(10);
    expect(tries.map((c) => c.matches[0]!.resolved === true)).toEqual([false, true]);
    const [undelivered] = w.pipeline.undelivered();
    expect(undelivered).toMatchObject({ rule: 'r', alerters: ['dry-run'], reason: 'busy' });
    expect(undelivered!.id).toMatch(/^resolved-/);
    const unsent = await w.store.pendingAlerts(at(0), toIso(w.clock.now()), 10);
    expect(unsent.map((p) => [p.id, p.doc.match_body.resolved])).toEqual([[undelivered!.id, true]]);

    // a new process over the same writeback: its outbox sends it, once, and the key stays resolved
    refuse = false;
    const sent: AlertContent[] = [];
    const next = memoryAlertPath(w.clock, { store: w.store, alerters: () => [recordingAlerter(sent)] });
    expect(await next.pipeline.flushDue(new Map([['r', w.rule()]]))).toBe(1);
    await settle();
    expect(sent.map((c) => [c.title, c.matches[0]!.resolved_at])).toEqual([['[RESOLVED] r', at(5)]]);
    expect((await w.store.getAlert(undelivered!.id!))?.alert_sent).toBe(true);
    expect(await next.pipeline.flushDue(new Map([['r', w.rule()]]))).toBe(0);
    await w.runUntil(20);
    expect(tries.filter((c) => c.matches[0]!.resolved === true)).toHaveLength(1);
  });

  it('DingTalk, WeCom and Feishu titles say 已恢复', async () => {
    const w = world([{ minute: 2 }], {
      type: 'any',
      resolve_timeout: { minutes: 3 },
      alert: [{ dingtalk: { dingtalk_access_token: 'abc' } }],
    });
    await w.runUntil(6);
    expect(resolved(w.sent)[0]!.title).toBe('[已恢复 RESOLVED] r');
    expect(resolved(w.sent)[0]!.body).toContain('告警已于 2025-03-01 00:05 UTC 恢复');
  });

  it('send_resolved and resolve_timeout from config.yaml apply to every rule; a rule can turn it off', () => {
    const base = { name: 'r', type: 'any', index: 'events', alert: 'debug' };
    expect(compileTestRule(base, { send_resolved: true }).resolve).toEqual({ timeoutMs: 15 * MIN });
    expect(compileTestRule(base, { send_resolved: true, resolve_timeout: { minutes: 5 } }).resolve).toEqual({
      timeoutMs: 5 * MIN,
    });
    expect(
      compileTestRule({ ...base, send_resolved: false }, { send_resolved: true }).resolve,
    ).toBeUndefined();
    expect(compileTestRule(base).resolve).toBeUndefined();
    expect(() => compileTestRule({ ...base, send_resolved: 'yes' })).toThrow(
      /send_resolved must be true or false/,
    );
  });
});
