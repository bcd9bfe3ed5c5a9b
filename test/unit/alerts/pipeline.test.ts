/**
 * The alert path on its own: a fake clock, the in-memory stores and a recording channel. Each
 * stage is seen doing its job and keeping its failure policy.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertContent, Alerter, SendOutcome } from '../../../src/alerters/alerter.ts';
import { recordingAlerter } from '../../../src/app/dry-run.ts';
import { createAlertPipeline, type PipelineDeps } from '../../../src/alerts/pipeline.ts';
import { UNDELIVERED_LISTED } from '../../../src/alerts/fan-out.ts';
import type { MatchOutcome } from '../../../src/engine/run-report.ts';
import { createRuntimeRule, type RuntimeRule } from '../../../src/engine/runtime-rule.ts';
import { FakeClock } from '../../../src/model/clock.ts';
import type { Match } from '../../../src/model/match.ts';
import { createMemorySearchPort } from '../../../src/query/memory/memory-search-port.ts';
import { debugStores } from '../../../src/state/debug-stores.ts';
import { createMemoryWriteback, type MemoryWriteback } from '../../../src/state/memory-writeback.ts';
import { toIso } from '../../../src/util/time.ts';
import { compileTestRule } from '../../support/compiled-rule.ts';
import { memoryAlertPath } from '../../support/memory-alert-path.ts';

const silent = pino({ level: 'silent' });
const T0 = Date.parse('2024-05-14T10:00:00Z');
const MINUTE = 60_000;
const search = createMemorySearchPort([]);

function rule(extra: Record<string, unknown> = {}): RuntimeRule {
  return createRuntimeRule(
    compileTestRule({
      name: 'pods',
      type: 'any',
      index: 'events',
      query_key: 'pod',
      realert: { minutes: 10 },
      alert: ['debug'],
      alert_text: 'pod {}',
      alert_text_args: ['pod'],
      alert_text_type: 'alert_text_only',
      ...extra,
    }),
  );
}

const match = (pod: string, at = T0): Match => ({
  '@timestamp': new Date(at).toISOString(),
  pod,
  _id: `${pod}-${at}`,
});

function setup(
  o: {
    store?: MemoryWriteback;
    alerters?: (rt: RuntimeRule) => Alerter[];
    deps?: Partial<PipelineDeps>;
  } = {},
) {
  const clock = new FakeClock(T0 + MINUTE);
  const { store, sent, pipeline } = memoryAlertPath(clock, {
    ...o,
    deps: { retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 }, ...o.deps },
  });
  /** One run of `rt` over `matches`: what became of each. */
  const run = async (rt: RuntimeRule, matches: Match[]): Promise<MatchOutcome['outcome'][]> => {
    const sink = pipeline.startRun(rt, { search, logger: silent });
    const out: MatchOutcome['outcome'][] = [];
    for (const m of matches) out.push((await sink.accept(m)).outcome);
    return out;
  };
  return { clock, store, sent, pipeline, run };
}

/** An alerter that answers from a script of outcomes, then ok. */
function scripted(type: string, outcomes: SendOutcome[], got: string[]): Alerter {
  return {
    type,
    channel: type,
    info: () => ({ type }),
    secrets: () => [],
    async send(content) {
      got.push(content.title);
      return outcomes.shift() ?? { ok: true };
    },
  };
}

describe('suppress: realert and silences', () => {
  it('a key alerted holds back its further matches for realert; other keys are not held', async () => {
    const { run, store, pipeline, sent } = setup();
    const rt = rule();
    expect(await run(rt, [match('a'), match('a', T0 + 1000), match('b')])).toEqual([
      'alerted',
      'silenced',
      'alerted',
    ]);
    await pipeline.drain(1000);
    expect(sent.map((c) => c.body.trim())).toEqual(['pod a', 'pod b']);
    // the realert silences are recorded for other processes and the next start
    expect(store.silences.map((s) => [s.key, s.until - (T0 + MINUTE)])).toEqual([
      ['pods.a', 10 * MINUTE],
      ['pods.b', 10 * MINUTE],
    ]);
  });

  it('a silence in the store is read once per run, so lifting it counts from the next run', async () => {
    const store = createMemoryWriteback();
    await store.writeSilence('pods._silence', { until: T0 + 60 * MINUTE, exponent: 0 }, '');
    const reads: string[] = [];
    const counted = { ...store, silence: (key: string) => (reads.push(key), store.silence(key)) };
    const { run } = setup({ store: counted as MemoryWriteback });
    const rt = rule({ realert: { minutes: 0 } });
    expect(await run(rt, [match('a'), match('b')])).toEqual(['silenced', 'silenced']);
    expect(reads).toEqual(['pods.a', 'pods._silence', 'pods.b']);
    store.silences.length = 0; // esalert silence lift
    expect(await run(rt, [match('a')])).toEqual(['alerted']);
  });

  it('a realert silence this process set stands until forgotten (lifted in the console), then the key alerts again', async () => {
    const { run, store, pipeline } = setup();
    const rt = rule();
    expect(await run(rt, [match('a')])).toEqual(['alerted']);
    store.silences.length = 0; // lifted in the store: this process still holds the key back
    expect(await run(rt, [match('a', T0 + 1000)])).toEqual(['silenced']);
    pipeline.forgetSilence('pods.a');
    expect(await run(rt, [match('a', T0 + 2000)])).toEqual(['alerted']);
  });
});

describe('enrich', () => {
  it('include_rule_params_in_matches: the rule options, on the first match only when asked', async () => {
    const { run, pipeline, sent } = setup();
    const rt = rule({
      realert: { minutes: 0 },
      owner: 'team-a',
      include_rule_params_in_matches: ['owner'],
      include_rule_params_in_first_match_only: true,
    });
    await run(rt, [match('a'), match('b')]);
    await pipeline.drain(1000);
    expect(sent.map((c) => c.matches[0]!.rule_param_owner)).toEqual(['team-a', undefined]);
  });
});

describe('record, fan-out and mark sent', () => {
  it('records each alert before it is sent and marks it sent when every alerter has it', async () => {
    const { run, store, pipeline } = setup();
    await run(rule(), [match('a')]);
    await pipeline.drain(1000);
    const docs = [...store.alerts.values()];
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ rule_name: 'pods', alert_sent: true, esalert_delivered: ['0:dry-run'] });
  });

  it('a window evaluated again does not alert twice', async () => {
    const store = createMemoryWriteback();
    const first = setup({ store });
    await first.run(rule({ realert: { minutes: 0 } }), [match('a')]);
    await first.pipeline.drain(1000);
    const again = setup({ store });
    expect(await again.run(rule({ realert: { minutes: 0 } }), [match('a')])).toEqual(['already-alerted']);
    await again.pipeline.drain(1000);
    expect(again.sent).toEqual([]);
  });

  it('a channel that fails keeps the alert unsent; the outbox resends it to that channel only', async () => {
    const got: string[] = [];
    const flaky = scripted('flaky', [{ ok: false, retryable: true, reason: 'HTTP 503' }], got);
    const steady = scripted('steady', [], got);
    const { run, store, pipeline, clock } = setup({ alerters: () => [steady, flaky] });
    const rt = rule({ alert: ['debug', 'debug'] });
    await run(rt, [match('a')]);
    expect(await pipeline.settle(60_000)).toBe(true);
    const [id, doc] = [...store.alerts][0]!;
    expect(doc).toMatchObject({
      alert_sent: false,
      alert_exception: 'HTTP 503',
      esalert_delivered: ['0:steady'],
    });
    const at = toIso(T0 + MINUTE);
    expect(new Set(doc.esalert_attempts)).toEqual(
      new Set([
        { at, alerter: '0:steady', ok: true },
        { at, alerter: '1:flaky', ok: false, error: 'HTTP 503', retryable: true },
      ]),
    );
    expect(pipeline.undelivered()).toEqual([
      { rule: 'pods', id, alerters: ['flaky'], matches: 1, reason: 'HTTP 503' },
    ]);
    clock.advance(MINUTE);
    expect(await pipeline.flushDue(new Map([['pods', rt]]))).toBe(1);
    await pipeline.drain(1000);
    expect(got).toEqual(['pods', 'pods', 'pods']); // steady once, flaky twice
    expect(pipeline.undelivered()).toEqual([]);
    expect(store.alerts.get(id)).toMatchObject({
      alert_sent: true,
      esalert_delivered: ['0:steady', '1:flaky'],
    });
    // every attempt is kept, the earlier ones first
    expect(store.alerts.get(id)!.esalert_attempts!.map((a) => [a.alerter, a.ok, a.at])).toEqual([
      ...doc.esalert_attempts!.map((a) => [a.alerter, a.ok, a.at]),
      ['1:flaky', true, toIso(T0 + 2 * MINUTE)],
    ]);
  });

  it('the list of undelivered alerts keeps the newest UNDELIVERED_LISTED; the writeback keeps them all unsent', async () => {
    const refused: SendOutcome = { ok: false, retryable: false, reason: 'HTTP 400' };
    const refusing = scripted(
      'refusing',
      Array.from({ length: UNDELIVERED_LISTED + 5 }, () => refused),
      [],
    );
    const { run, store, pipeline } = setup({ alerters: () => [refusing] });
    const rt = rule({ realert: { minutes: 0 } });
    const pods = Array.from({ length: UNDELIVERED_LISTED + 5 }, (_, i) => `p${i}`);
    await run(
      rt,
      pods.map((p) => match(p)),
    );
    expect(await pipeline.settle(60_000)).toBe(true);
    expect([...store.alerts.values()].filter((d) => d.alert_sent === false)).toHaveLength(pods.length);
    expect(pipeline.undelivered()).toHaveLength(UNDELIVERED_LISTED);
  });

  it('with the alert log down, the alert is sent all the same and recorded by the next flush', async () => {
    const store = createMemoryWriteback();
    let down = true;
    const createAlert = store.createAlert.bind(store);
    const flaky = {
      ...store,
      createAlert: async (id: string, doc: Parameters<typeof createAlert>[1]) => {
        if (down) throw new Error('writeback unreachable');
        return createAlert(id, doc);
      },
    };
    const { run, pipeline, sent } = setup({ store: flaky as MemoryWriteback });
    expect(await run(rule(), [match('a')])).toEqual(['alerted']);
    await pipeline.drain(1000);
    expect(sent).toHaveLength(1);
    expect(store.alerts.size).toBe(0);
    down = false;
    await pipeline.flushDue(new Map());
    expect([...store.alerts.values()]).toEqual([
      expect.objectContaining({ rule_name: 'pods', alert_sent: true }),
    ]);
  });
});

describe('aggregate and the outbox', () => {
  it('matches of one aggregation key collect under one head and go out as one alert when due', async () => {
    const { run, store, pipeline, clock, sent } = setup();
    const rt = rule({ aggregation: { minutes: 5 }, aggregation_key: 'team', realert: { minutes: 0 } });
    const m = (pod: string, team: string) => ({ ...match(pod), team });
    expect(await run(rt, [m('a', 'x'), m('b', 'x'), m('c', 'y')])).toEqual([
      'aggregated',
      'aggregated',
      'aggregated',
    ]);
    const rules = new Map([['pods', rt]]);
    expect(await pipeline.flushDue(rules)).toBe(0); // not due yet
    clock.advance(5 * MINUTE);
    expect(await pipeline.flushDue(rules)).toBe(2);
    await pipeline.drain(1000);
    expect(sent.map((c) => c.matches.map((x) => x.pod))).toEqual([['a', 'b'], ['c']]);
    expect([...store.alerts.values()].every((d) => d.alert_sent)).toBe(true);
  });
});

describe('choices of stores', () => {
  it('--debug reads the live silences but writes nothing to the live writeback', async () => {
    const live = createMemoryWriteback();
    await live.writeSilence('pods.b', { until: T0 + 60 * MINUTE, exponent: 0 }, '');
    const silencesBefore = live.silences.length;
    const clock = new FakeClock(T0 + MINUTE);
    const sent: AlertContent[] = [];
    const pipeline = createAlertPipeline({
      clock,
      logger: silent,
      stores: debugStores(live, createMemoryWriteback()),
      alertTimeLimitMs: 86_400_000,
      maxAggregation: 100,
      alerters: () => [recordingAlerter(sent)],
    });
    const sink = pipeline.startRun(rule(), { search, logger: silent });
    expect((await sink.accept(match('a'))).outcome).toBe('alerted');
    expect((await sink.accept(match('b'))).outcome).toBe('silenced');
    await pipeline.drain(1000);
    expect(sent).toHaveLength(1);
    expect(live.alerts.size).toBe(0);
    expect(live.silences).toHaveLength(silencesBefore);
  });
});
