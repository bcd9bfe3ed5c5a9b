/**
 * Count and terms rules ask for many segments in one date_range aggregation. Each segment must
 * count exactly what its own `gt`/`lte` query would, including documents in the second after a
 * whole-second bound (Elasticsearch rounds such bounds up to .999) and at the edges between
 * batches of segments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EsConnection } from '../../src/query/es-client.ts';
import { connectTestEs, esHostPort, uniqueName } from './helpers.ts';
import { runRuleOnce } from './support/run-once.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const START = Date.parse('2024-06-01T00:00:00Z');
const MINUTE = 60_000;

describe('batched count segments', () => {
  let es: EsConnection;
  let ws: Workspace;
  const index = uniqueName('segedge');
  const times: number[] = [];

  beforeAll(async () => {
    es = await connectTestEs();
    ws = makeWorkspace({ ...esHostPort(), run_every: { minutes: 1 }, buffer_time: { minutes: 15 } });
    // around minute bounds inside a batch and at the edges between batches (every 720 segments)
    for (const k of [0, 1, 2, 3, 719, 720, 721, 800]) {
      for (const off of [-1, 0, 1, 500, 999, 1000, 1001]) times.push(START + k * MINUTE + off);
    }
    await es.client.indices.create({ index, mappings: { properties: { '@timestamp': { type: 'date' } } } });
    await es.client.bulk({
      refresh: true,
      operations: times.flatMap((t, i) => [
        { index: { _index: index } },
        { '@timestamp': new Date(t).toISOString(), pod: i % 2 ? 'a' : 'b' },
      ]),
    });
  });
  afterAll(async () => {
    await es.client.indices.delete({ index }).catch(() => {});
    await es.close();
    ws.remove();
  });

  it.each([
    ['whole-second bounds', START, START + 14 * 60 * MINUTE],
    ['bounds with milliseconds', START + 250, START + 14 * 60 * MINUTE + 250],
  ])(
    'each segment counts what its own query counts (%s)',
    async (_, start, end) => {
      const file = ws.writeRule('count.yaml', {
        name: 'count',
        type: 'frequency',
        index,
        use_count_query: true,
        num_events: 100_000,
        timeframe: { minutes: 10 },
        alert: ['debug'],
      });
      const { report } = await runRuleOnce(es.client, ws, file, end, { start, recordQueries: true });
      expect(report.error).toBeUndefined();
      expect(report.segments.length).toBe(14 * 60);
      const batched = report.segments.map((s) => s.hits);
      const single = await Promise.all(
        report.segments.map(async (s) => {
          const r = await es.client.count({
            index,
            query: { range: { '@timestamp': { gt: s.start, lte: s.end } } },
          });
          return r.count;
        }),
      );
      expect(batched).toEqual(single);
      // nothing falls between batches
      const whole = await es.client.count({
        index,
        query: {
          range: { '@timestamp': { gt: report.segments[0]!.start, lte: report.segments.at(-1)!.end } },
        },
      });
      expect(batched.reduce((a, b) => a + b, 0)).toBe(whole.count);
    },
    120_000,
  );
});
