/** self_alert's conditions: one message when a condition starts holding, one resolved message when it ends. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertContent } from '../../../src/alerters/alerter.ts';
import { recordingAlerter } from '../../../src/app/dry-run.ts';
import { createSelfAlert } from '../../../src/app/self-alert.ts';
import { readSelfAlert } from '../../../src/config/self-alert-config.ts';
import { FakeClock } from '../../../src/model/clock.ts';

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

function monitor(section: Record<string, unknown>, esUp: { up: boolean }, unsent = { old: false }) {
  const { settings, problems } = readSelfAlert({ self_alert: { alert: ['post'], ...section } });
  expect(problems).toEqual([]);
  const sent: AlertContent[] = [];
  const clock = new FakeClock('2025-03-01T00:00:00Z');
  const self = createSelfAlert({
    settings: settings!,
    clock,
    logger: pino({ level: 'silent' }),
    alerters: [recordingAlerter(sent)],
    retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    esCheck: async () => {
      if (!esUp.up) throw new Error('connect ECONNREFUSED');
    },
    unsentBefore: async () => unsent.old,
  });
  const messages = () => sent.map((c) => [c.matches[0]!.condition, c.matches[0]!.resolved, c.title]);
  return { self, clock, sent, messages };
}

describe('self_alert', () => {
  it('Elasticsearch unreachable for es_unreachable_after: one message, then one resolved', async () => {
    const es = { up: false };
    const m = monitor({ es_unreachable_after: { minutes: 5 } }, es);
    await m.self.check();
    m.clock.advance(4 * 60_000);
    await m.self.check();
    expect(m.messages()).toEqual([]);
    m.clock.advance(60_000);
    await m.self.check();
    m.clock.advance(60_000);
    await m.self.check();
    es.up = true;
    m.clock.advance(60_000);
    await m.self.check();
    await m.self.check();
    await settle();
    expect(m.messages()).toEqual([
      ['es', false, '[esalert] Elasticsearch is unreachable'],
      ['es', true, '[RESOLVED] [esalert] Elasticsearch is unreachable'],
    ]);
    expect(m.sent[1]!.matches[0]).toMatchObject({ duration: '0:02:00', duration_seconds: 120 });
  });

  it('a rule failing rule_failures runs in a row; a success in between starts the count over', async () => {
    const m = monitor({ rule_failures: 3 }, { up: true });
    m.self.ruleRun('r', 'boom');
    m.self.ruleRun('r', 'boom');
    m.self.ruleRun('r', undefined);
    m.self.ruleRun('r', 'boom');
    m.self.ruleRun('r', 'boom');
    await settle();
    expect(m.messages()).toEqual([]);
    m.self.ruleRun('r', 'boom');
    m.self.ruleRun('r', 'boom');
    m.self.ruleRun('r', undefined);
    await settle();
    expect(m.messages()).toEqual([
      ['rule:r', false, '[esalert] rule r keeps failing'],
      ['rule:r', true, '[RESOLVED] [esalert] rule r keeps failing'],
    ]);
  });

  it('an alerter refusing at once, one retrying after alerter_failing_after', async () => {
    const m = monitor({ alerter_failing_after: { minutes: 10 } }, { up: true });
    m.self.alerterOutcome('slack', { ok: false, retryable: false, reason: '400 invalid_token' });
    m.self.alerterOutcome('dingtalk', { ok: false, retryable: true, reason: '130101' });
    m.clock.advance(9 * 60_000);
    await m.self.check();
    await settle();
    expect(m.messages().map((x) => x[0])).toEqual(['alerter:slack']);
    m.clock.advance(60_000);
    await m.self.check();
    m.self.alerterOutcome('dingtalk', { ok: true });
    m.self.alerterOutcome('slack', { ok: true });
    await settle();
    expect(m.messages()).toEqual([
      ['alerter:slack', false, '[esalert] the slack alerter refuses alerts'],
      ['alerter:dingtalk', false, '[esalert] the dingtalk alerter is failing'],
      ['alerter:dingtalk', true, '[RESOLVED] [esalert] the dingtalk alerter is failing'],
      ['alerter:slack', true, '[RESOLVED] [esalert] the slack alerter refuses alerts'],
    ]);
  });

  it('rule files, the outbox and the heartbeat', async () => {
    const unsent = { old: true };
    const m = monitor({ heartbeat: { hours: 1 } }, { up: true }, unsent);
    m.self.loadFailed('rules/a.yaml', 'rules/a.yaml:3: unknown rule type "frequncy"');
    m.self.loadFailed('rules/a.yaml', 'again');
    await m.self.check();
    unsent.old = false;
    m.clock.advance(3_600_000);
    await m.self.check();
    m.self.loadCleared('rules/a.yaml');
    await settle();
    expect(m.messages()).toEqual([
      ['load:rules/a.yaml', false, '[esalert] rule file rules/a.yaml does not load'],
      ['outbox', false, '[esalert] alerts are waiting to be sent'],
      ['outbox', true, '[RESOLVED] [esalert] alerts are waiting to be sent'],
      ['heartbeat', undefined, '[esalert] heartbeat'],
      ['load:rules/a.yaml', true, '[RESOLVED] [esalert] rule file rules/a.yaml does not load'],
    ]);
  });

  it('bad settings say what to fix', () => {
    const problems = (section: unknown) =>
      readSelfAlert({ self_alert: section }).problems.map((p) => `${p.path.join('.')}: ${p.message}`);
    expect(problems({})[0]).toMatch(/^self_alert\.alert: /);
    expect(problems({ alert: ['post'], rule_failures: 0 })[0]).toMatch(/^self_alert\.rule_failures: /);
    expect(problems({ alert: ['post'], heartbeat: { minutes: 0 } })[0]).toMatch(/must be longer than 0/);
    expect(problems('yes')[0]).toMatch(/must be a mapping/);
  });
});
