/**
 * Digests grouped by workload (k8s_digest_by_workload): alerts about pods of one Deployment,
 * StatefulSet, CronJob... for one reason fold into one digest entry that names the pods, while
 * other alerts keep their own entries and nothing is dropped.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertContent, Alerter } from '../../../src/alerters/alerter.ts';
import { ChannelDispatcher, digestOf, extendOverWorkloads } from '../../../src/alerts/channel-dispatcher.ts';
import { FakeClock } from '../../../src/model/clock.ts';
import { foldByWorkload, workloadKey } from '../../../src/k8s/workload-digest.ts';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
/** A pod of a Deployment, named as its ReplicaSet names it: `<deployment>-<hash>-<5 chars>`. */
const podOf = (deployment: string, hash: string, i: number) => {
  let suffix = '';
  for (let n = i * 7919 + 12_345, k = 0; k < 5; k++, n = Math.floor(n / SAFE.length))
    suffix += SAFE[n % SAFE.length];
  return `${deployment}-${hash}-${suffix}`;
};

function podAlert(
  pod: string,
  reason = 'FailedScheduling',
  options: Record<string, unknown> = { k8s_digest_by_workload: true },
  namespace = 'search',
): AlertContent {
  const match = {
    '@timestamp': '2024-05-14T10:00:00Z',
    event: {
      reason,
      message: '0/6 nodes are available: 3 Insufficient cpu.',
      involvedObject: { kind: 'Pod', namespace, name: pod },
    },
  };
  return {
    ruleName: 'scheduling',
    options,
    matches: [match],
    title: `Pod ${namespace}/${pod}: ${reason}`,
    body: `Pod ${pod} cannot be scheduled: 0/6 nodes are available: 3 Insufficient cpu.\n`,
    matchTexts: [],
  };
}

const indexer = Array.from({ length: 26 }, (_, i) => podOf('indexer', '859d7b6c4f', i));

describe('folding a digest by workload', () => {
  it('26 pods of one Deployment failing to schedule make one entry naming the first and counting the others', () => {
    const digest = digestOf(
      indexer.map((p) => podAlert(p)),
      4096,
    );
    expect(digest.title).toBe('26 alerts: scheduling');
    expect(digest.body).toContain(
      `${indexer[0]} and 25 other pods of Deployment search/indexer: FailedScheduling`,
    );
    // one representative text, not 26
    expect(digest.body.match(/cannot be scheduled/g)).toHaveLength(1);
    expect(digest.body).toContain(`Other pods: ${indexer.slice(1, 4).join(', ')}`);
    expect(digest.matches).toHaveLength(26);
  });

  it('keeps workloads, reasons, namespaces and unrelated alerts apart, in the order they came', () => {
    const api = [0, 1, 2].map((i) => podOf('api', '7c9f8d6b5', i));
    const alerts = [
      podAlert(indexer[0]!),
      podAlert(api[0]!),
      podAlert(indexer[1]!),
      podAlert(api[1]!, 'BackOff'),
      podAlert(indexer[2]!, 'FailedScheduling', { k8s_digest_by_workload: true }, 'staging'),
      podAlert('es-data-0'),
      podAlert('es-data-1'),
      podAlert('standalone'),
      podAlert('standalone'),
      podAlert(api[2]!),
    ];
    const entries = foldByWorkload(alerts);
    expect(entries.map((e) => e.heading ?? e.alerts[0]!.title)).toEqual([
      `${indexer[0]} and 1 other pod of Deployment search/indexer: FailedScheduling`,
      `${api[0]} and 1 other pod of Deployment search/api: FailedScheduling`,
      `Pod search/${api[1]}: BackOff`,
      `Pod staging/${indexer[2]}: FailedScheduling`,
      'es-data-0 and 1 other pod of StatefulSet search/es-data: FailedScheduling',
      // a pod that belongs to no workload is its own entry each time
      'Pod search/standalone: FailedScheduling',
      'Pod search/standalone: FailedScheduling',
    ]);
  });

  it('one pod alerted several times folds too, saying how many alerts', () => {
    const entries = foldByWorkload([podAlert(indexer[0]!), podAlert(indexer[0]!)]);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.heading).toBe(`${indexer[0]} (Deployment search/indexer, 2 alerts): FailedScheduling`);
  });

  it('leaves alerts of rules without k8s_digest_by_workload as they were', () => {
    const alerts = indexer.slice(0, 5).map((p) => podAlert(p, 'FailedScheduling', {}));
    expect(workloadKey(alerts[0]!)).toBeUndefined();
    const digest = digestOf(alerts, 4096);
    for (const p of indexer.slice(0, 5)) expect(digest.body).toContain(`Pod ${p} cannot be scheduled`);
    expect(digest.body).not.toContain('other pods');
  });

  it('an aggregated alert folds only when all its matches are of one workload and reason', () => {
    const two = (a: AlertContent, b: AlertContent): AlertContent => ({
      ...a,
      matches: [...a.matches, ...b.matches],
    });
    expect(workloadKey(two(podAlert(indexer[0]!), podAlert(indexer[1]!)))).toBe(
      workloadKey(podAlert(indexer[2]!)),
    );
    expect(workloadKey(two(podAlert(indexer[0]!), podAlert(indexer[1]!, 'BackOff')))).toBeUndefined();
  });

  it('a batch grows over the alerts right after it that fold into one of its entries', () => {
    const queue = [
      ...indexer.slice(0, 10).map((p) => podAlert(p)),
      podAlert('other'),
      podAlert(indexer[11]!),
    ];
    expect(extendOverWorkloads(queue, 3)).toBe(10);
    expect(
      extendOverWorkloads(
        queue.map((a) => ({ ...a, options: {} })),
        3,
      ),
    ).toBe(3);
  });
});

describe('a rate-limited channel with workload digests', () => {
  it('100 alerts of one Deployment fold into one message; 10 others then fit the budget one by one', async () => {
    const clock = new FakeClock('2024-05-14T00:00:00Z');
    const d = new ChannelDispatcher('test:robot', {
      now: () => clock.now(),
      logger: pino({ level: 'silent' }),
      retry: { attempts: 3, baseDelayMs: 1000, maxDelayMs: 10_000 },
      sleep: async (ms) => clock.advance(ms),
    });
    const sent: AlertContent[] = [];
    const alerter: Alerter = {
      type: 'test',
      channel: 'test:robot',
      ratePerMinute: 20,
      messageLimitBytes: 4096,
      info: () => ({ type: 'test' }),
      secrets: () => [],
      async send(content) {
        sent.push(content);
        return { ok: true };
      },
    };
    const pods = Array.from({ length: 100 }, (_, i) => podOf('indexer', '859d7b6c4f', i));
    const delivered: string[] = [];
    const enqueue = (c: AlertContent) =>
      d.enqueue({ alerter, content: c, done: (o) => o.ok && delivered.push(c.title) });
    for (const p of pods) enqueue(podAlert(p));
    for (let i = 0; i < 10; i++) enqueue(podAlert(`solo-${i}-x`, 'BackOff', {}));
    await d.whenIdle();
    expect(delivered).toHaveLength(110);
    expect(sent).toHaveLength(11);
    expect(sent[0]!.title).toBe('100 alerts: scheduling');
    expect(sent[0]!.body).toContain(
      `${pods[0]} and 99 other pods of Deployment search/indexer: FailedScheduling`,
    );
    const text = sent.map((c) => c.body).join('\n');
    for (let i = 0; i < 10; i++) expect(text).toContain(`Pod solo-${i}-x cannot be scheduled`);
    for (const c of sent) expect(Buffer.byteLength(c.body)).toBeLessThanOrEqual(4096);
  });
});
