/**
 * Rules that run together share `_msearch` requests (query/msearch-coalescer.ts) on every server:
 * one request carries the first searches of every rule of a tick, hits, counts and terms alike;
 * each rule gets its own answer (its own hits, its own count), and a search the server refuses
 * fails its own rule's run and no other.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertPipeline } from '../../src/alerts/pipeline.ts';
import { catalogs } from '../../src/app/catalogs.ts';
import { loadRuleFile } from '../../src/compile/compile-rule.ts';
import { runRule } from '../../src/engine/run-rule.ts';
import { createRuntimeRule } from '../../src/engine/runtime-rule.ts';
import { FakeClock } from '../../src/model/clock.ts';
import { type EsConnection, connectElasticsearch } from '../../src/query/es-client.ts';
import { createEsSearchPort } from '../../src/query/es-search-port.ts';
import { createMsearchCoalescer } from '../../src/query/msearch-coalescer.ts';
import { createMemoryWriteback } from '../../src/state/memory-writeback.ts';
import { writebackStores } from '../../src/state/writeback.ts';
import { testConfig } from '../support/config.ts';
import { connectTestEs, esHostPort, testEs, uniqueName } from './helpers.ts';
import { startGateway, type Gateway } from './support/es-gateway.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const START = Date.parse('2024-07-01T00:00:00Z');
const MINUTE = 60_000;
const END = START + 15 * MINUTE;
/** Documents per pod: each `any` rule below reads one pod's. */
const PODS: Record<string, number> = { alpha: 3, bravo: 5, charlie: 8, delta: 13 };
const silent = pino({ level: 'silent' });

describe('searches of rules running together in one _msearch', () => {
  let es: EsConnection;
  let gateway: Gateway;
  let viaGateway: EsConnection;
  let ws: Workspace;
  const requests: string[] = [];
  const index = uniqueName('msearch');

  beforeAll(async () => {
    es = await connectTestEs();
    gateway = await startGateway({
      target: testEs().url,
      fail: (_n, method, path) => {
        requests.push(`${method} ${path.split('?')[0]}`);
        return undefined;
      },
    });
    viaGateway = await connectElasticsearch({
      nodes: [`http://127.0.0.1:${gateway.port}`],
      requestTimeoutMs: 60_000,
    });
    ws = makeWorkspace({ ...esHostPort(), run_every: { minutes: 1 }, buffer_time: { minutes: 15 } });
    await es.client.indices.create({
      index,
      mappings: { properties: { '@timestamp': { type: 'date' }, pod: { type: 'keyword' } } },
    });
    const docs = Object.entries(PODS).flatMap(([pod, n]) =>
      Array.from({ length: n }, (_, i) => ({
        '@timestamp': new Date(START + MINUTE + i * 30_000).toISOString(),
        pod,
      })),
    );
    await es.client.bulk({
      refresh: true,
      operations: docs.flatMap((d) => [{ index: { _index: index } }, d]),
    });
  }, 120_000);
  afterAll(async () => {
    await es.client.indices.delete({ index }).catch(() => {});
    await viaGateway?.close();
    await gateway?.close();
    await es.close();
    ws.remove();
  });

  it('one request for the whole tick; each rule its own hits; a refused search fails its rule alone', async () => {
    const rules = [
      ...Object.keys(PODS).map((pod) => ({
        name: `pod-${pod}`,
        type: 'any',
        index,
        filter: [{ term: { pod } }],
        realert: { minutes: 0 },
      })),
      {
        name: 'count-all',
        type: 'frequency',
        use_count_query: true,
        num_events: 1000,
        timeframe: { minutes: 15 },
        index,
      },
      {
        name: 'terms-by-pod',
        type: 'frequency',
        use_terms_query: true,
        query_key: 'pod',
        num_events: 1000,
        timeframe: { minutes: 15 },
        index,
      },
      {
        // the server refuses this search (a script that does not compile)
        name: 'refused',
        type: 'any',
        index,
        filter: [{ script: { script: { source: 'this is not painless (', lang: 'painless' } } }],
      },
    ];
    const global = testConfig({
      ...esHostPort(),
      rules_folder: ws.rulesDir,
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      writeback_index: 'unused',
      // pages of 1,000 hits: the whole tick fits one request's cap on requested hits
      max_query_size: 1000,
    });
    const clock = new FakeClock(END + MINUTE);
    const writeback = createMemoryWriteback();
    const stores = writebackStores(writeback);
    const batches: [string, number][] = [];
    const coalescer = createMsearchCoalescer(viaGateway.client, {
      onRequest: (kind, n) => batches.push([kind, n]),
    });
    const port = createEsSearchPort(viaGateway.client, { coalescer });
    const sink = createAlertPipeline({
      clock,
      logger: silent,
      stores,
      alertTimeLimitMs: 86_400_000,
      maxAggregation: 10_000,
    });
    const deps = {
      clock,
      logger: silent,
      stores,
      sink,
      search: () => port,
      globals: { runEveryMs: MINUTE, oldQueryLimitMs: 7 * 86_400_000 },
    };
    const runtime = rules.map((r) =>
      createRuntimeRule(
        loadRuleFile(ws.writeRule(`${r.name}.yaml`, { ...r, alert: ['debug'] }), {
          global,
          env: () => undefined,
          catalogs: catalogs(),
          logger: silent,
        }),
      ),
    );
    requests.length = 0;
    // the rules of one tick: started in the same turn of the event loop
    const reports = await Promise.all(runtime.map((rt) => runRule(rt, END, deps, { start: START })));

    // every first search (hits, count, terms) went in one _msearch
    expect(batches).toEqual([['msearch', rules.length]]);
    expect(requests.filter((r) => r.endsWith('/_msearch'))).toHaveLength(1);
    expect(requests.filter((r) => r.endsWith('/_search') || r.endsWith('/_count'))).toHaveLength(0);

    const byName = new Map(reports.map((r) => [r.rule, r]));
    for (const [pod, n] of Object.entries(PODS)) {
      const report = byName.get(`pod-${pod}`)!;
      expect(report.error).toBeUndefined();
      expect(report.hits).toBe(n);
      expect(report.tally.matches).toBe(n);
      const alerted = [...writeback.alerts.values()].filter((a) => a.rule_name === `pod-${pod}`);
      expect(alerted).toHaveLength(n);
      expect(alerted.every((a) => a.match_body.pod === pod)).toBe(true);
    }
    const total = Object.values(PODS).reduce((a, b) => a + b, 0);
    expect(byName.get('count-all')!.error).toBeUndefined();
    expect(byName.get('count-all')!.hits).toBe(total);
    // every rule read what it reads when it runs alone (its own _search or _count)
    for (const rt of runtime.filter((r) => r.rule.name !== 'refused')) {
      const alone = await runRule(
        createRuntimeRule(rt.rule),
        END,
        {
          ...deps,
          stores: writebackStores(createMemoryWriteback()),
          search: () => createEsSearchPort(es.client),
        },
        { start: START },
      );
      const batched = byName.get(rt.rule.name)!;
      expect(batched.error).toBeUndefined();
      expect({ rule: rt.rule.name, hits: batched.hits, matches: batched.tally.matches }).toEqual({
        rule: rt.rule.name,
        hits: alone.hits,
        matches: alone.tally.matches,
      });
      expect(batched.segments.map((seg) => seg.hits)).toEqual(alone.segments.map((seg) => seg.hits));
    }

    const refused = byName.get('refused')!;
    expect(refused.error?.code).toBe('ES_QUERY_FAILED');
    expect(refused.error?.message).toMatch(/search failed: HTTP 400/);
    expect(refused.completedTo).toBeUndefined();
    // the others recorded their runs; the refused rule recorded an error and no run
    expect(writeback.statuses.map((s) => s.rule_name).sort()).toEqual(
      rules
        .map((r) => r.name)
        .filter((n) => n !== 'refused')
        .sort(),
    );
    expect(writeback.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^Error running rule refused/),
    ]);
  }, 120_000);

  it('a request that fails as a whole fails every rule it carried, each with the server error', async () => {
    let failing = true;
    const failGateway = await startGateway({
      target: testEs().url,
      fail: (_n, _method, path) => (failing && path.includes('_msearch') ? 503 : undefined),
    });
    const conn = await connectElasticsearch({
      nodes: [`http://127.0.0.1:${failGateway.port}`],
      requestTimeoutMs: 60_000,
    });
    try {
      const port = createEsSearchPort(conn.client, { coalescer: createMsearchCoalescer(conn.client) });
      const counts = (pods: string[]) =>
        Promise.allSettled(pods.map((pod) => port.count(index, { bool: { filter: [{ term: { pod } }] } })));
      const failed = await counts(['alpha', 'bravo']);
      for (const r of failed) {
        expect(r.status).toBe('rejected');
        const err = (r as PromiseRejectedResult).reason as {
          code: string;
          retryable: boolean;
          message: string;
        };
        expect(err.code).toBe('ES_QUERY_FAILED');
        expect(err.retryable).toBe(true);
        expect(err.message).toMatch(/HTTP 503/);
      }
      failing = false;
      const ok = await counts(['alpha', 'bravo']);
      expect(ok.map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual([PODS.alpha, PODS.bravo]);
    } finally {
      await conn.close();
      await failGateway.close();
    }
  }, 60_000);
});
