/**
 * send_resolved for the rule types send-resolved.test.ts leaves out (whitelist, new_term,
 * cardinality, metric_aggregation, percentage_match, spike_aggregation), against the real
 * Elasticsearch and a real HTTP receiver, the rule run once a minute on a stepped clock. Each
 * type fires, then its condition clears as docs/kubernetes.md says for it: exactly one resolved
 * notification arrives (resolved, fired_at, resolved_at, duration, and the [RESOLVED] title),
 * none before the condition cleared, none for a key whose condition still holds, and no second
 * one on later runs.
 */
import { describe, expect, it } from 'vitest';
import { toIso, timedeltaText } from '../../src/util/time.ts';
import {
  at,
  MIN,
  type Posted,
  resolveHarness,
  steady,
  T0,
  type TestEvent,
} from './support/resolve-stepper.ts';

/** An event's minute from a posted timestamp (ISO text, or epoch ms for aggregation matches). */
const minuteOf = (t: string | number | undefined) => (new Date(t!).getTime() - T0) / MIN;

describe('send_resolved per rule type', () => {
  const h = resolveHarness();

  /** Exactly one resolved notification, for `pod` when given, carrying what `want` says. */
  const expectOneResolved = (want: Partial<Posted>) => {
    const resolved = h.resolvedPosts();
    expect(resolved).toHaveLength(1);
    const r = resolved[0]!;
    expect(r).toMatchObject({ resolved: true, ...want });
    expect(r['@timestamp']).toBe(r.resolved_at);
    const ms = Date.parse(r.resolved_at!) - Date.parse(r.fired_at!);
    expect(ms).toBeGreaterThan(0);
    expect(r.duration_seconds).toBe(ms / 1000);
    expect(r.duration).toBe(timedeltaText(ms));
    expect(h.titles().filter((t) => t.includes('RESOLVED'))).toEqual(['[RESOLVED] resolving']);
  };
  const firingOf = (pod: string) => h.firingPosts().filter((p) => p.pod === pod);

  it('whitelist: resolved after resolve_timeout without an event off the list; a key still matching stays open', async () => {
    await h.setup([
      ...steady(0, 30, 1, 'api-1'),
      { minute: 2, pod: 'web-1' },
      { minute: 4, pod: 'web-1' },
      // web-2 matches every 3 minutes, within resolve_timeout: never clears
      ...Array.from({ length: 10 }, (_, i) => ({ minute: 2 + 3 * i, pod: 'web-2' })),
    ]);
    const s = h.stepper(
      {
        type: 'whitelist',
        compare_key: 'pod',
        whitelist: ['api-1'],
        ignore_null: true,
        query_key: 'pod',
        resolve_timeout: { minutes: 5 },
      },
      { withTitle: true },
    );
    await s.runUntil(8);
    expect(firingOf('web-1').map((p) => p['@timestamp'])).toEqual([at(2), at(4)]);
    expect(firingOf('api-1')).toEqual([]);
    expect(h.resolvedPosts()).toEqual([]);
    await s.runUntil(9);
    expectOneResolved({ pod: 'web-1', fired_at: at(2), resolved_at: at(9), duration: '0:07:00' });
    await s.runUntil(18);
    expect(firingOf('web-2')).toHaveLength(6);
    expectOneResolved({ pod: 'web-1' });
  });

  it('new_term: resolved after resolve_timeout without a new term; new terms within it keep it open', async () => {
    await h.setup([
      // the history: api-1 is known
      { minute: -120, pod: 'api-1' },
      ...steady(0, 30, 1, 'api-1'),
      // new terms at 3, 6 and 9 (each within resolve_timeout of the previous), web-1 again at 7
      { minute: 3, pod: 'web-1' },
      { minute: 6, pod: 'web-2' },
      { minute: 7, pod: 'web-1' },
      { minute: 9, pod: 'web-3' },
    ]);
    const s = h.stepper(
      {
        type: 'new_term',
        fields: ['pod'],
        use_keyword_postfix: false,
        terms_window_size: { hours: 3 },
        resolve_timeout: { minutes: 5 },
      },
      { withTitle: true },
    );
    await s.runUntil(13);
    expect(h.firingPosts().map((p) => [p.pod, p['@timestamp']])).toEqual([
      ['web-1', at(3)],
      ['web-2', at(6)],
      ['web-3', at(9)],
    ]);
    expect(h.resolvedPosts()).toEqual([]);
    await s.runUntil(14);
    // one key for the rule (no query_key): the episode runs from the first new term to the last + 5
    expectOneResolved({ pod: 'web-1', fired_at: at(3), resolved_at: at(14), duration: '0:11:00' });
    await s.runUntil(25);
    expectOneResolved({ fired_at: at(3) });
  });

  it('cardinality: resolved after resolve_timeout without a match over max_cardinality; a key still over it stays open', async () => {
    const alternating: TestEvent[] = Array.from({ length: 15 }, (_, i) => ({
      minute: 1.5 + 2 * i,
      pod: 'web-1',
      node: i % 2 === 0 ? 'node-1' : 'node-2',
    }));
    await h.setup([
      { minute: 1, pod: 'api-1', node: 'node-1' },
      { minute: 2, pod: 'api-1', node: 'node-2' },
      { minute: 3, pod: 'api-1', node: 'node-3' },
      // back to one node: cardinality 1 is not over max_cardinality
      ...[10, 12, 14, 16].map((minute) => ({ minute, pod: 'api-1', node: 'node-3' })),
      ...alternating,
    ]);
    const s = h.stepper(
      {
        type: 'cardinality',
        query_key: 'pod',
        cardinality_field: 'node',
        max_cardinality: 1,
        timeframe: { minutes: 5 },
        resolve_timeout: { minutes: 5 },
      },
      { withTitle: true },
    );
    await s.runUntil(7);
    expect(firingOf('api-1').map((p) => p['@timestamp'])).toEqual([at(2), at(3)]);
    expect(h.resolvedPosts()).toEqual([]);
    await s.runUntil(8);
    expectOneResolved({ pod: 'api-1', fired_at: at(2), resolved_at: at(8), duration: '0:06:00' });
    await s.runUntil(18);
    expect(firingOf('web-1').length).toBeGreaterThanOrEqual(7);
    expect(firingOf('api-1')).toHaveLength(2);
    expectOneResolved({ pod: 'api-1' });
  });

  it('metric_aggregation: resolved after resolve_timeout of windows back within the threshold; a key over it stays open', async () => {
    await h.setup([
      ...steady(0, 2, 1, 'api-1', { value: 10 }),
      ...steady(2, 4, 1, 'api-1', { value: 80 }),
      ...steady(4, 30, 1, 'api-1', { value: 10 }),
      ...steady(0, 30, 1, 'web-1', { value: 90 }),
    ]);
    const s = h.stepper(
      {
        type: 'metric_aggregation',
        metric_agg_key: 'value',
        metric_agg_type: 'max',
        max_threshold: 50,
        query_key: 'pod',
        resolve_timeout: { minutes: 5 },
      },
      { withTitle: true },
    );
    await s.runUntil(8);
    const fired = firingOf('api-1').map((p) => minuteOf(p['@timestamp']));
    // each run aggregates the minute before it: the windows ending at 3 and 4 held 80
    expect(fired).toEqual([3, 4]);
    expect(h.resolvedPosts()).toEqual([]);
    await s.runUntil(9);
    expectOneResolved({ pod: 'api-1', fired_at: at(3), resolved_at: at(9), duration: '0:06:00' });
    await s.runUntil(16);
    expect(firingOf('web-1').length).toBeGreaterThanOrEqual(14);
    expectOneResolved({ pod: 'api-1' });
  });

  it('percentage_match: resolved after resolve_timeout of windows back within max_percentage', async () => {
    await h.setup([
      ...steady(0, 30, 1, 'api-1', { node: 'node-1' }),
      // two of three events a minute on node-2 from 2 to 5: 67% > 50%
      ...steady(2, 5, 2, 'api-1', { node: 'node-2' }),
    ]);
    const s = h.stepper(
      {
        type: 'percentage_match',
        match_bucket_filter: [{ term: { node: 'node-2' } }],
        max_percentage: 50,
        resolve_timeout: { minutes: 5 },
      },
      { withTitle: true },
    );
    await s.runUntil(9);
    expect(h.firingPosts().map((p) => minuteOf(p['@timestamp']))).toEqual([3, 4, 5]);
    expect(h.resolvedPosts()).toEqual([]);
    await s.runUntil(10);
    expectOneResolved({ fired_at: at(3), resolved_at: at(10), duration: '0:07:00' });
    await s.runUntil(25);
    expect(h.firingPosts()).toHaveLength(3);
    expectOneResolved({ fired_at: at(3) });
  });

  it('percentage_match per query_key in bucket_interval buckets: a bucket is the match time; a key still over it stays open', async () => {
    await h.setup([
      ...steady(0, 20, 1, 'api-1', { node: 'node-1' }),
      ...steady(2, 5, 2, 'api-1', { node: 'node-2' }),
      ...steady(0, 20, 1, 'web-1', { node: 'node-1' }),
      ...steady(0, 20, 2, 'web-1', { node: 'node-2' }),
    ]);
    const s = h.stepper(
      {
        type: 'percentage_match',
        query_key: 'pod',
        bucket_interval: { minutes: 1 },
        match_bucket_filter: [{ term: { node: 'node-2' } }],
        max_percentage: 50,
        resolve_timeout: { minutes: 5 },
      },
      { withTitle: true },
    );
    await s.runUntil(8);
    // each run's window is one bucket, timed at its start: the buckets of minutes 2, 3 and 4
    expect(firingOf('api-1').map((p) => minuteOf(p['@timestamp']))).toEqual([2, 3, 4]);
    expect(h.resolvedPosts()).toEqual([]);
    await s.runUntil(14);
    expectOneResolved({ pod: 'api-1', fired_at: at(2), resolved_at: at(9), duration: '0:07:00' });
    expect(firingOf('web-1').length).toBeGreaterThanOrEqual(12);
  });

  it('spike_aggregation per query_key: resolved once the compared windows show no spike; a steady key never fires', async () => {
    await h.setup([
      ...steady(0, 20, 1, 'api-1', { value: 10 }),
      ...steady(20, 25, 1, 'api-1', { value: 100 }),
      ...steady(25, 60, 1, 'api-1', { value: 10 }),
      ...steady(0, 60, 1, 'web-1', { value: 10 }),
    ]);
    const s = h.stepper(
      {
        type: 'spike_aggregation',
        metric_agg_key: 'value',
        metric_agg_type: 'avg',
        spike_height: 3,
        spike_type: 'up',
        timeframe: { minutes: 5 },
        query_key: 'pod',
      },
      { withTitle: true },
    );
    await s.runUntil(26);
    expect(h.firingPosts().map((p) => p.pod)).toEqual(['api-1']);
    expect(h.resolvedPosts()).toEqual([]);
    await s.runUntil(50);
    const [r] = h.resolvedPosts();
    expectOneResolved({
      pod: 'api-1',
      fired_at: toIso(new Date(h.firingPosts()[0]!['@timestamp']!).getTime()),
    });
    expect(Date.parse(r!.resolved_at!)).toBeGreaterThan(T0 + 25 * MIN);
    await s.runUntil(60);
    expect(h.firingPosts()).toHaveLength(1);
    expectOneResolved({ resolved_at: r!.resolved_at });
  });
});
