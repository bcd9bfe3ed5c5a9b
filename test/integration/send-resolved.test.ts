/**
 * send_resolved against the real Elasticsearch: events written to an index of their own, the
 * rule run once a minute (the clock stepped by the test), the alert path with the Elasticsearch
 * writeback (firing state in <wb>_esalert_state) and the `post` alerter delivering to a real HTTP
 * receiver. Each rule type fires, then clears by its own semantics, and the receiver gets exactly
 * one resolved notification with resolved, fired_at, resolved_at and duration. One more case
 * goes through the whole app (startApp, a backfill) to check the wiring.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startApp } from '../../src/app/app.ts';
import { SecretRegistry } from '../../src/app/logger.ts';
import { FakeClock } from '../../src/model/clock.ts';
import { firingStateId } from '../../src/state/firing-store.ts';
import { writebackIndex } from '../../src/state/writeback.ts';
import { toIso } from '../../src/util/time.ts';
import { at, MIN, type Posted, resolveHarness, steady, T0 } from './support/resolve-stepper.ts';

const silent = pino({ level: 'silent' });

describe('send_resolved end to end', () => {
  const h = resolveHarness();
  const { setup, posted, resolvedPosts, firingPosts } = h;
  const stepper = (rule: Record<string, unknown>) => h.stepper(rule);

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
    await h.es.client.indices.refresh({ index: writebackIndex(h.wb, 'state') });
    const saved = await h.es.client.get<{ state: { key: string }[] }>({
      index: writebackIndex(h.wb, 'state'),
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
      resolved_at: toIso(new Date(lastFiring).getTime() + 5 * MIN),
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
    h.receiver.fallback = { status: 400, body: 'bad request' };
    const s = stepper({ type: 'any', resolve_timeout: { minutes: 3 } });
    await s.runUntil(10);
    expect(posted().map((p) => p.resolved === true)).toEqual([false]);
  });

  it('a resolved notification the webhook does not take stays unsent in the alert log, and a restarted process sends it once', async () => {
    await setup([{ minute: 2, pod: 'api-1' }]);
    const s = stepper({ type: 'any', resolve_timeout: { minutes: 3 } });
    await s.runUntil(4);
    expect(firingPosts()).toHaveLength(1);
    h.receiver.fallback = { status: 503, body: 'busy' };
    await s.runUntil(6);
    // tried once (retry attempts: 1), refused
    expect(resolvedPosts()).toHaveLength(1);
    const [undelivered] = s.undelivered();
    expect(undelivered).toMatchObject({ rule: 'resolving', alerters: ['post'] });
    expect(undelivered!.id).toMatch(/^resolved-/);
    const log = writebackIndex(h.wb, 'alert');
    await h.es.client.indices.refresh({ index: log });
    const recorded = await h.es.client.get<{ alert_sent: boolean; match_body: Posted }>({
      index: log,
      id: undelivered!.id!,
    });
    expect(recorded._source).toMatchObject({
      alert_sent: false,
      match_body: { resolved: true, fired_at: at(2), resolved_at: at(5) },
    });

    h.receiver.fallback = { status: 200, body: 'ok' };
    s.restart();
    expect(await s.flush()).toBe(1);
    expect(resolvedPosts()).toHaveLength(2);
    expect(resolvedPosts()[1]).toMatchObject({
      resolved: true,
      fired_at: at(2),
      resolved_at: at(5),
      duration: '0:03:00',
    });
    await h.es.client.indices.refresh({ index: log });
    expect(
      (await h.es.client.get<{ alert_sent: boolean }>({ index: log, id: undelivered!.id! }))._source,
    ).toMatchObject({
      alert_sent: true,
    });
    // sent: neither the outbox nor later runs send it again
    expect(await s.flush()).toBe(0);
    await s.runUntil(12);
    expect(resolvedPosts()).toHaveLength(2);
    expect(firingPosts()).toHaveLength(1);
  });

  it('the app: a backfill sends the firing and the resolved notification through the rule alerters', async () => {
    await setup([{ minute: 2, pod: 'api-1' }]);
    h.ws.writeRule('rule.yaml', {
      name: 'resolving',
      type: 'any',
      index: h.index,
      alert: ['post'],
      http_post_url: `${h.receiver.url}/alert`,
      http_post_all_values: true,
      send_resolved: true,
      resolve_timeout: { minutes: 5 },
    });
    const app = await startApp(
      { configFile: h.ws.config, start: at(0), end: at(30) },
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
