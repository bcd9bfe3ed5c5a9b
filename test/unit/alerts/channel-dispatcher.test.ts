/**
 * The per-channel queue: rate limits fold waiting alerts into digests (nothing dropped), retries
 * follow the channel's classification, and alerts leave in order.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertContent, Alerter, SendOutcome } from '../../../src/alerters/alerter.ts';
import { ChannelDispatcher, digestOf, nextDigestSize } from '../../../src/alerts/channel-dispatcher.ts';
import { FakeClock } from '../../../src/model/clock.ts';

const logger = pino({ level: 'silent' });

/** A channel that records what it was asked to send and answers from a script. */
function recordingChannel(opts: { rate?: number; limit?: number; script?: SendOutcome[] } = {}) {
  const sent: AlertContent[] = [];
  const script = [...(opts.script ?? [])];
  const alerter: Alerter = {
    type: 'test',
    channel: 'test:robot',
    ...(opts.rate ? { ratePerMinute: opts.rate } : {}),
    ...(opts.limit ? { messageLimitBytes: opts.limit } : {}),
    info: () => ({ type: 'test' }),
    secrets: () => ['s3cret-token'],
    async send(content) {
      sent.push(content);
      return script.shift() ?? { ok: true };
    },
  };
  return { alerter, sent };
}

function alert(n: number): AlertContent {
  return {
    ruleName: 'crashloop',
    options: {},
    matches: [{ n }],
    title: `pod-${n} crash-looping`,
    body: `pod-${n} restarted ${n} times\n`,
    matchTexts: [],
  };
}

function setup(clock = new FakeClock('2024-05-14T00:00:00Z')) {
  const waits: number[] = [];
  const d = new ChannelDispatcher('test:robot', {
    now: () => clock.now(),
    logger,
    retry: { attempts: 3, baseDelayMs: 1000, maxDelayMs: 10_000 },
    sleep: async (ms) => {
      waits.push(ms);
      clock.advance(ms);
    },
  });
  return { d, clock, waits };
}

describe('ChannelDispatcher', () => {
  it('sends in order, one message per alert, when within the rate', async () => {
    const { d } = setup();
    const { alerter, sent } = recordingChannel({ rate: 20 });
    const outcomes: boolean[] = [];
    for (let i = 0; i < 5; i++) d.enqueue({ alerter, content: alert(i), done: (o) => outcomes.push(o.ok) });
    await d.whenIdle();
    expect(sent.map((c) => c.title)).toEqual([0, 1, 2, 3, 4].map((i) => `pod-${i} crash-looping`));
    expect(outcomes).toEqual([true, true, true, true, true]);
  });

  it('100 alerts at once to a 20-per-minute robot: at most 20 messages in the minute, carrying all 100', async () => {
    const { d, clock } = setup();
    const start = clock.now();
    const { alerter, sent } = recordingChannel({ rate: 20, limit: 4096 });
    const done: number[] = [];
    for (let i = 0; i < 100; i++)
      d.enqueue({ alerter, content: alert(i), done: (o) => o.ok && done.push(i) });
    await d.whenIdle();
    expect(clock.now() - start).toBeLessThan(60_000);
    expect(sent.length).toBeLessThanOrEqual(20);
    const text = sent.map((c) => `${c.title}\n${c.body}`).join('\n');
    for (let i = 0; i < 100; i++) expect(text).toContain(`pod-${i} crash-looping`);
    expect(done.sort((a, b) => a - b)).toEqual([...Array(100).keys()]);
    for (const c of sent) expect(Buffer.byteLength(c.body)).toBeLessThanOrEqual(4096);
  });

  it('waits for the next minute when the budget is spent', async () => {
    const { d, clock, waits } = setup();
    const { alerter, sent } = recordingChannel({ rate: 2 });
    for (let i = 0; i < 2; i++) d.enqueue({ alerter, content: alert(i), done: () => {} });
    await d.whenIdle();
    const t = clock.now();
    d.enqueue({ alerter, content: alert(9), done: () => {} });
    await d.whenIdle();
    expect(sent).toHaveLength(3);
    expect(waits.at(-1)).toBeGreaterThan(59_000);
    expect(clock.now() - t).toBeGreaterThanOrEqual(59_000);
  });

  it("retries retryable failures with backoff (or the channel's retry-after, capped) and delivers once", async () => {
    const { d, waits } = setup();
    const { alerter, sent } = recordingChannel({
      script: [
        { ok: false, retryable: true, retryAfterMs: 60_000, reason: 'errcode 130101: send too fast' },
        { ok: false, retryable: true, reason: 'HTTP 503' },
      ],
    });
    let outcome: SendOutcome | undefined;
    d.enqueue({ alerter, content: alert(1), done: (o) => (outcome = o) });
    await d.whenIdle();
    expect(sent).toHaveLength(3);
    expect(outcome).toEqual({ ok: true });
    expect(waits).toEqual([10_000, 2000]);
  });

  it('gives up at once on a permanent failure, and after the last attempt on a retryable one', async () => {
    const { d } = setup();
    const permanent = recordingChannel({
      script: [{ ok: false, retryable: false, reason: 'errcode 310000: keywords not in content' }],
    });
    const flaky = recordingChannel({
      script: [1, 2, 3].map(() => ({ ok: false as const, retryable: true, reason: 'HTTP 502' })),
    });
    const outcomes: SendOutcome[] = [];
    d.enqueue({ alerter: permanent.alerter, content: alert(1), done: (o) => outcomes.push(o) });
    d.enqueue({ alerter: flaky.alerter, content: alert(2), done: (o) => outcomes.push(o) });
    await d.whenIdle();
    expect(permanent.sent).toHaveLength(1);
    expect(flaky.sent).toHaveLength(3);
    expect(outcomes.map((o) => o.ok)).toEqual([false, false]);
  });

  it('hands queued alerts back as not delivered when stopped', async () => {
    const { d } = setup();
    const { alerter } = recordingChannel({ rate: 1 });
    const outcomes: SendOutcome[] = [];
    for (let i = 0; i < 3; i++) d.enqueue({ alerter, content: alert(i), done: (o) => outcomes.push(o) });
    d.stop();
    await d.whenIdle();
    expect(outcomes.filter((o) => !o.ok).length).toBeGreaterThanOrEqual(2);
  });
});

describe('digests', () => {
  it('spreads waiting alerts over the remaining budget, within the size limit', () => {
    expect(nextDigestSize(5, 20, 4096)).toBe(1);
    expect(nextDigestSize(100, 20, 4096)).toBe(5);
    expect(nextDigestSize(1000, 20, 4096)).toBeLessThan(50);
  });

  it('a digest names every alert and stays within the byte limit, cutting texts at character boundaries', () => {
    const items = Array.from({ length: 8 }, (_, i) => ({
      ...alert(i),
      body: '容器反复崩溃重启'.repeat(100),
    }));
    const d = digestOf(items, 2048);
    expect(Buffer.byteLength(d.body)).toBeLessThanOrEqual(2048);
    for (let i = 0; i < 8; i++) expect(d.body).toContain(`pod-${i} crash-looping`);
    expect(d.body).not.toContain('\uFFFD');
    expect(d.title).toBe('8 alerts: crashloop');
  });
});
