import { describe, expect, it } from 'vitest';
import { generateAll } from '../../corpus/generator.ts';

describe('corpus generator', () => {
  const small = { hours: 6, docs: 4000 };
  const { manifest, docs } = generateAll(small);
  const isNoop = (d: (typeof docs)[number]) =>
    d._source.verb === 'UPDATED' && d._source.event.count === d._source.old_event?.count;

  it('is deterministic: same seed, same documents and ids', () => {
    const again = generateAll(small);
    expect(again.docs.length).toBe(docs.length);
    expect(again.docs.map((d) => d._id)).toEqual(docs.map((d) => d._id));
    expect(JSON.stringify(again.docs.slice(0, 50))).toBe(JSON.stringify(docs.slice(0, 50)));
    const other = generateAll({ ...small, seed: 'other' });
    expect(other.docs[0]?._id).not.toBe(docs[0]?._id);
  });

  it('emits documents in @timestamp order, inside the period, with unique ids', () => {
    for (let i = 1; i < docs.length; i++) {
      expect(docs[i]!._source['@timestamp'] >= docs[i - 1]!._source['@timestamp']).toBe(true);
    }
    expect(docs[0]!._source['@timestamp'] >= manifest.start).toBe(true);
    expect(docs.at(-1)!._source['@timestamp'] < manifest.end).toBe(true);
    expect(new Set(docs.map((d) => d._id)).size).toBe(docs.length);
    expect(manifest.docs).toBe(docs.length);
  });

  it('scales routine churn to the requested size (scenario documents dominate tiny corpora)', () => {
    expect(docs.length).toBeGreaterThan(small.docs * 0.8);
    expect(docs.length).toBeLessThan(small.docs * 1.5);
    const large = generateAll({ docs: 100_000 });
    expect(large.docs.length).toBeGreaterThan(90_000);
    expect(large.docs.length).toBeLessThan(110_000);
  });

  it('has the eventrouter shape: UPDATED carries old_event with the previous count', () => {
    const updated = docs.filter((d) => d._source.verb === 'UPDATED');
    expect(updated.length).toBeGreaterThan(0);
    for (const d of updated) {
      const { event, old_event } = d._source;
      expect(old_event).toBeDefined();
      expect(event.metadata.uid).toBe(old_event!.metadata.uid);
      expect([old_event!.count, old_event!.count + 1]).toContain(event.count);
    }
    for (const d of docs.filter((x) => x._source.verb === 'ADDED')) {
      expect(d._source.old_event).toBeUndefined();
      expect(d._source.event.count).toBe(1);
    }
  });

  it('includes resync no-ops: UPDATED with the same count and resourceVersion', () => {
    const noops = docs.filter(isNoop);
    expect(noops.length).toBe(manifest.resyncNoops);
    expect(noops.length).toBeGreaterThan(0);
    for (const d of noops)
      expect(d._source.event.metadata.resourceVersion).toBe(d._source.old_event!.metadata.resourceVersion);
  });

  it('crash-looping pods produce BackOff bursts only inside their window', () => {
    expect(manifest.crashLoops.length).toBeGreaterThan(0);
    for (const c of manifest.crashLoops) {
      const backoffs = docs.filter(
        (d) =>
          !isNoop(d) && d._source.event.reason === 'BackOff' && d._source.event.involvedObject.name === c.pod,
      );
      expect(backoffs.length).toBe(c.backOffDocs);
      expect(backoffs.length).toBeGreaterThan(5);
      for (const d of backoffs) {
        expect(d._source.event.type).toBe('Warning');
        expect(d._source.event.message).toContain('Back-off restarting failed container');
        expect(d._source['@timestamp'] >= c.from).toBe(true);
      }
    }
  });

  it('the heartbeat stops during its gap and runs every minute otherwise', () => {
    const beats = docs
      .filter(
        (d) =>
          d._source.event.reason === 'SawCompletedJob' &&
          d._source.event.involvedObject.name === manifest.heartbeat.cronJob,
      )
      .map((d) => d._source['@timestamp']);
    const { from, to } = manifest.heartbeat.gap;
    expect(beats.filter((t) => t > from && t < to)).toEqual([]);
    expect(beats.length).toBeGreaterThan(6 * 60 - 60);
  });

  it('the probe burst is dense in one namespace', () => {
    const { namespace, from, to, docs: n } = manifest.probeBurst;
    const inBurst = docs.filter(
      (d) =>
        d._source.event.reason === 'Unhealthy' &&
        d._source.event.involvedObject.namespace === namespace &&
        d._source['@timestamp'] >= from &&
        d._source['@timestamp'] <= to,
    );
    expect(inBurst.length).toBeGreaterThanOrEqual(n * 0.95);
    expect(n).toBeGreaterThan(100);
  });

  it('node events are cluster-scoped: no involvedObject.namespace, Event namespace default', () => {
    const nodeDocs = docs.filter((d) => !isNoop(d) && d._source.event.involvedObject.kind === 'Node');
    expect(nodeDocs.length).toBe(manifest.nodeIncidents.length);
    for (const d of nodeDocs) {
      expect(d._source.event.involvedObject.namespace).toBeUndefined();
      expect(d._source.event.metadata.namespace).toBe('default');
    }
  });

  it('has scheduling failures and image pull failures', () => {
    expect(docs.some((d) => d._source.event.reason === 'FailedScheduling')).toBe(true);
    expect(docs.some((d) => d._source.event.message === 'Error: ImagePullBackOff')).toBe(true);
    expect(docs.some((d) => d._source.event.message.includes('\n'))).toBe(true);
  });

  it('can drop old_event like the seed Logstash pipeline', () => {
    const { docs: dropped } = generateAll({ ...small, dropOldEvent: true });
    expect(dropped.every((d) => d._source.old_event === undefined)).toBe(true);
  });
});
