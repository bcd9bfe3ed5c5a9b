/**
 * new_term against the real Elasticsearch: the history scan before the first run, new terms in
 * hits and terms mode, and what a restart does. The rule type's seen terms are saved with the
 * rule's status, so a restarted process does not take every term of the last hours for new
 * (user-needs row 20); without the saved state it would.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app/app.ts';
import { FakeClock } from '../../src/model/clock.ts';
import { SecretRegistry } from '../../src/app/logger.ts';
import type { EsConnection } from '../../src/query/es-client.ts';
import { writebackIndex } from '../../src/state/writeback.ts';
import { connectTestEs, esHostPort, testEs, uniqueName } from './helpers.ts';
import { type Receiver, startReceiver } from './support/http-receiver.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const silent = pino({ level: 'silent' });
const HISTORY_FROM = '2024-05-14T00:00:00Z';
const START = '2024-05-14T02:00:00Z';
const SPLIT = '2024-05-14T06:00:00Z';

type Doc = Record<string, unknown>;
const podOf = (m: Doc) => (m.event as { involvedObject: { name: string } }).involvedObject.name;

const backoffRule = (name: string, url: string, extra: Doc = {}) => ({
  name,
  type: 'new_term',
  index: 'eventrouter-*',
  fields: ['event.involvedObject.name'],
  terms_window_size: { hours: 2 },
  window_step_size: { minutes: 30 },
  filter: [{ term: { 'event.reason.keyword': 'BackOff' } }],
  alert: ['post'],
  http_post_url: url,
  realert: { minutes: 0 },
  ...extra,
});

describe('new_term over the corpus', () => {
  let es: EsConnection;
  let receiver: Receiver;
  const workspaces: Workspace[] = [];
  const indices: string[] = [];
  /** Pods with BackOff events: the first one of each. */
  let firstBackOff: Map<string, string>;

  const run = async (ws: Workspace, opts: { start?: string; end: string }, now: string) => {
    const app = await startApp(
      { configFile: ws.config, ...opts },
      { env: () => undefined, clock: new FakeClock(now), logger: silent, secrets: new SecretRegistry() },
    );
    await app.finished;
    await app.stop();
    expect(app.loaded.errors.map((e) => e.error.message)).toEqual([]);
  };
  const workspace = () => {
    const wb = uniqueName('esalert_nt');
    indices.push(`${wb}*`);
    const ws = makeWorkspace({
      ...esHostPort(),
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      writeback_index: wb,
    });
    workspaces.push(ws);
    return { ws, wb };
  };
  const posted = (path: string) => receiver.received.filter((x) => x.path === path).map((x) => x.json as Doc);
  /** Pods whose first BackOff is in [from, to): what new_term must find with history before `from`. */
  const newPods = (from: string, to: string) =>
    [...firstBackOff]
      .filter(([, t]) => t >= from && t < to)
      .map(([p]) => p)
      .sort();

  beforeAll(async () => {
    es = await connectTestEs();
    receiver = await startReceiver({ status: 200, body: 'ok' });
    const res = await es.client.search({
      index: 'eventrouter-*',
      size: 0,
      query: { term: { 'event.reason.keyword': 'BackOff' } },
      aggs: {
        pods: {
          terms: { field: 'event.involvedObject.name.keyword', size: 100 },
          aggs: { first: { min: { field: '@timestamp' } } },
        },
      },
    });
    firstBackOff = new Map(
      (
        res.aggregations!.pods as { buckets: { key: string; first: { value_as_string: string } }[] }
      ).buckets.map((b) => [b.key, b.first.value_as_string]),
    );
  });

  afterAll(async () => {
    await receiver.close();
    for (const i of indices) await es.client.indices.delete({ index: i }).catch(() => {});
    await es.close();
    for (const ws of workspaces) ws.remove();
  });

  it('finds the crash-looping and image-pulling pods as new terms after a 2-hour history, in hits and terms mode', async () => {
    const expected = newPods(START, testEs().corpus.manifest.end);
    // ground truth from the manifest: every crash loop that started after the history window
    const m = testEs().corpus.manifest;
    for (const c of m.crashLoops) if (c.from > START) expect(expected).toContain(c.pod);
    expect(expected.length).toBeGreaterThanOrEqual(4);
    // and a pod that was already crash-looping during the history is not new
    const known = [...firstBackOff].filter(([, t]) => t >= HISTORY_FROM && t < START).map(([p]) => p);
    expect(known.length).toBeGreaterThan(0);

    const { ws } = workspace();
    ws.writeRule('hits.yaml', backoffRule('new-backoff', `${receiver.url}/hits`));
    ws.writeRule(
      'terms.yaml',
      backoffRule('new-backoff-terms', `${receiver.url}/terms`, {
        fields: undefined,
        query_key: 'event.involvedObject.name.keyword',
        use_terms_query: true,
      }),
    );
    await run(ws, { start: START, end: m.end }, '2024-05-15T00:30:00Z');

    const hits = posted('/hits');
    expect(hits.map(podOf).sort()).toEqual(expected);
    for (const h of hits) {
      expect(h.new_field).toBe('event.involvedObject.name');
      expect(h['@timestamp']).toBe(firstBackOff.get(podOf(h))!.replace('.000Z', 'Z'));
    }
    const terms = posted('/terms');
    expect(terms.map((t) => t['event.involvedObject.name.keyword']).sort()).toEqual(expected);
    for (const t of terms) expect(t.new_field).toBe('event.involvedObject.name.keyword');
  });

  it('after a restart, terms seen before it are not new again (the seen terms are restored)', async () => {
    const { ws, wb } = workspace();
    ws.writeRule('hits.yaml', backoffRule('new-backoff-restart', `${receiver.url}/restart`));
    await run(ws, { start: START, end: SPLIT }, '2024-05-14T06:05:00Z');
    const before = posted('/restart').map(podOf).sort();
    expect(before).toEqual(newPods(START, SPLIT));

    await es.client.indices.refresh({ index: `${wb}*` });
    const saved = await es.client.get<{ state: { seen: Record<string, string[]> } }>({
      index: writebackIndex(wb, 'state'),
      id: 'new-backoff-restart',
    });
    expect(Object.keys(saved._source!.state.seen)).toEqual(['event.involvedObject.name']);

    // no --start: the second process resumes where the first stopped, with the saved terms
    await run(ws, { end: testEs().corpus.manifest.end }, '2024-05-15T00:05:00Z');
    const all = posted('/restart').map(podOf);
    expect(all.slice().sort()).toEqual(newPods(START, testEs().corpus.manifest.end));
    expect(new Set(all).size).toBe(all.length);
  });

  it('control: without the saved state, the restarted rule alerts again on pods it already reported', async () => {
    const { ws, wb } = workspace();
    ws.writeRule('hits.yaml', backoffRule('new-backoff-control', `${receiver.url}/control`));
    await run(ws, { start: START, end: SPLIT }, '2024-05-14T06:05:00Z');
    const before = posted('/control').map(podOf);
    await es.client.indices.refresh({ index: `${wb}*` });
    await es.client.indices.delete({ index: writebackIndex(wb, 'state') });
    await run(ws, { end: testEs().corpus.manifest.end }, '2024-05-15T00:05:00Z');
    const after = posted('/control').map(podOf).slice(before.length);
    const repeated = after.filter((p) => before.includes(p));
    expect(repeated.length).toBeGreaterThan(0);
  });
});
