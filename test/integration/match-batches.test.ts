/**
 * A catch-up that finds more matches than MATCH_BATCH handles them in batches as its segments
 * complete instead of holding them all until the run ends: every match is still alerted once,
 * the status document counts them all, and a service's report counts them without keeping them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATCH_BATCH } from '../../src/engine/run-rule.ts';
import type { EsConnection } from '../../src/query/es-client.ts';
import { connectTestEs, esHostPort, uniqueName } from './helpers.ts';
import { runRuleOnce } from './support/run-once.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const START = Date.parse('2024-06-01T00:00:00Z');
const MINUTE = 60_000;
const SEGMENT = 15 * MINUTE;
/** Documents per 15-minute segment: two segments fill a batch. */
const PER_SEGMENT = MATCH_BATCH / 2;
const SEGMENTS = 5;

describe('matches handled in batches', () => {
  let es: EsConnection;
  let ws: Workspace;
  const index = uniqueName('batches');

  beforeAll(async () => {
    es = await connectTestEs();
    ws = makeWorkspace({ ...esHostPort(), run_every: { minutes: 1 }, buffer_time: { minutes: 15 } });
    await es.client.indices.create({ index, mappings: { properties: { '@timestamp': { type: 'date' } } } });
    const docs = Array.from({ length: PER_SEGMENT * SEGMENTS }, (_, i) => {
      const segment = Math.floor(i / PER_SEGMENT);
      // clear of the seconds at the segments' edges (Elasticsearch rounds whole-second bounds)
      const t = START + segment * SEGMENT + 2000 + ((i % PER_SEGMENT) * (SEGMENT - 4000)) / PER_SEGMENT;
      return { '@timestamp': new Date(Math.floor(t)).toISOString(), pod: `pod-${i}` };
    });
    for (let i = 0; i < docs.length; i += 5000)
      await es.client.bulk({
        refresh: true,
        operations: docs.slice(i, i + 5000).flatMap((d) => [{ index: { _index: index } }, d]),
      });
  }, 120_000);
  afterAll(async () => {
    await es.client.indices.delete({ index }).catch(() => {});
    await es.close();
    ws.remove();
  });

  it('every match alerted once, in batches of at most MATCH_BATCH, counted but not kept by a slim report', async () => {
    const file = ws.writeRule('every-pod.yaml', {
      name: 'every-pod',
      type: 'any',
      index,
      query_key: 'pod',
      realert: { minutes: 0 },
      max_query_size: 2000,
      alert: ['debug'],
    });
    const end = START + SEGMENTS * SEGMENT;
    const { report, writeback } = await runRuleOnce(es.client, ws, file, end, {
      start: START,
      slimReport: true,
    });
    expect(report.error).toBeUndefined();
    // (paging re-reads the first page's last document: counted as a duplicate)
    expect(report.segments.map((s) => s.hits - s.duplicates)).toEqual(Array(SEGMENTS).fill(PER_SEGMENT));

    const total = PER_SEGMENT * SEGMENTS;
    // a slim report counts the matches and keeps none of them
    expect(report.matches).toHaveLength(0);
    expect(report.tally.matches).toBe(total);
    expect(report.tally.outcomes.alerted).toBe(total);

    const alerts = [...writeback.alerts.values()];
    expect(alerts).toHaveLength(total);
    expect(new Set(alerts.map((a) => a.match_body.pod)).size).toBe(total);
    expect(alerts.every((a) => a.alert_sent === true)).toBe(true);
    // handled after segments 2 and 4, and the rest at the end of the run
    const batchSizes = new Map<unknown, number>();
    for (const a of alerts)
      batchSizes.set(a.match_body.num_matches, (batchSizes.get(a.match_body.num_matches) ?? 0) + 1);
    expect(Object.fromEntries(batchSizes)).toEqual({
      [MATCH_BATCH]: 2 * MATCH_BATCH,
      [PER_SEGMENT]: PER_SEGMENT,
    });

    expect(writeback.statuses).toHaveLength(1);
    expect(writeback.statuses[0]).toMatchObject({ matches: total, hits: report.hits });
    expect(report.hits - report.duplicates).toBe(total);
  }, 300_000);
});
