/**
 * An aggregation rule resumed by a new process (a restart, a rule moving to another instance)
 * against the real Elasticsearch: its first run reads the last whole buffer_time up to now, as the
 * stopped process's next run would have, instead of waiting until a whole segment has passed since
 * the last run recorded in the status index (ElastAlert 2 runs nothing for up to buffer_time;
 * docs/deviations.md). The rule is stepped a minute at a time and alerts through a real receiver.
 */
import { describe, expect, it } from 'vitest';
import { writebackIndex } from '../../src/state/writeback.ts';
import { MIN, resolveHarness, steady, T0 } from './support/resolve-stepper.ts';

describe('an aggregation rule resumed by a new process', () => {
  const h = resolveHarness();

  /** The status documents of the rule, as [start, end] minutes after T0, oldest first. */
  const runs = async (): Promise<[number, number][]> => {
    const index = writebackIndex(h.wb, 'status');
    await h.es.client.indices.refresh({ index });
    const res = await h.es.client.search<{ starttime: string; endtime: string }>({
      index,
      size: 100,
      sort: [{ endtime: 'asc' }],
      query: { match_all: {} },
    });
    const minute = (t: string) => (Date.parse(t) - T0) / MIN;
    return res.hits.hits.map((x) => [minute(x._source!.starttime), minute(x._source!.endtime)]);
  };

  it('runs at its first turn after the restart over the last buffer_time, and alerts on what came since', async () => {
    await h.setup([
      ...steady(0, 40, 2, 'api-1', { value: 10 }),
      ...steady(21, 22, 2, 'api-1', { value: 80 }),
    ]);
    const s = h.stepper({
      type: 'metric_aggregation',
      metric_agg_key: 'value',
      metric_agg_type: 'max',
      max_threshold: 50,
      buffer_time: { minutes: 15 },
      realert: { minutes: 0 },
    });
    await s.runUntil(20);
    expect(h.firingPosts()).toEqual([]);
    const before = await runs();
    // steady runs: the buffer back from each run's end
    expect(before.at(-1)).toEqual([5, 20]);

    s.restart();
    await s.runUntil(22);
    const after = (await runs()).slice(before.length);
    // the first run after the restart read the whole segment up to now, not nothing
    expect(after).toEqual([
      [6, 21],
      [7, 22],
    ]);
    // the value of minute 21 was alerted on by the second run after the restart (it ends at 22)
    expect(h.firingPosts()).toHaveLength(1);
    expect(h.firingPosts()[0]).toMatchObject({ metric_value_max: 80 });

    await s.runUntil(24);
    expect((await runs()).slice(before.length).map(([, end]) => end)).toEqual([21, 22, 23, 24]);
  });
});
