import { afterEach, describe, expect, it } from 'vitest';
import { Observability } from '../../../src/http/observability.ts';
import { type HttpServer, startHttpServer } from '../../../src/http/server.ts';
import { emptyTally, type RunReport } from '../../../src/engine/run-report.ts';

describe('HTTP endpoints', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  const report = (over: Partial<RunReport> = {}): RunReport => ({
    rule: 'r',
    start: '2024-05-14T00:00:00Z',
    end: '2024-05-14T00:01:00Z',
    segments: [],
    hits: 3,
    duplicates: 0,
    matches: [],
    tally: emptyTally(),
    completedTo: '2024-05-14T00:01:00Z',
    timeTakenMs: 5,
    ...over,
  });

  it('serves health, readiness, rule status and metrics', async () => {
    let now = Date.parse('2024-05-14T00:02:00Z');
    const obs = new Observability(() => now);
    server = await startHttpServer(obs, 0, '127.0.0.1');
    const get = (p: string) => fetch(`${server!.url}${p}`);

    expect((await get('/healthz')).status).toBe(200);
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { reasons: string[] }).reasons).toEqual([
      'esalert is starting',
      'rules are not loaded yet',
      'not connected to Elasticsearch yet',
    ]);

    obs.ruleLoaded({ name: 'r', file: 'rules/r.yaml', type: 'any' });
    obs.initialLoad();
    obs.phase = 'running';
    let esUp = false;
    obs.esCheck = async () => {
      if (!esUp) throw new Error('connect ECONNREFUSED');
    };
    expect(((await (await get('/readyz')).json()) as { reasons: string[] }).reasons).toEqual([
      'Elasticsearch is not reachable: connect ECONNREFUSED',
    ]);
    esUp = true;
    expect((await get('/readyz')).status).toBe(200);

    obs.runFinished('r', report(), now - 1000, 250);
    obs.alertFailed('r', 'dingtalk', 'HTTP 500');
    obs.loadFailed('rules/bad.yaml', 'rules/bad.yaml:3:1: num_events is required');
    obs.nextRun = () => now + 60_000;
    const status = (await (await get('/api/rules')).json()) as {
      rules: {
        name: string;
        runs: number;
        lastRun: { hits: number };
        lastAlert: { ok: boolean };
        nextRun: string;
      }[];
      loadErrors: { file: string }[];
    };
    expect(status.rules[0]).toMatchObject({
      name: 'r',
      runs: 1,
      lastRun: { hits: 3 },
      lastAlert: { ok: false },
      nextRun: '2024-05-14T00:03:00Z',
    });
    expect(status.loadErrors.map((e) => e.file)).toEqual(['rules/bad.yaml']);

    now += 30_000;
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toContain('esalert_rule_runs_total{rule="r",result="ok"} 1');
    expect(metrics).toContain('esalert_rule_hits_total{rule="r"} 3');
    expect(metrics).toContain('esalert_rule_lag_seconds{rule="r"} 90');
    expect(metrics).toContain('esalert_rule_alerts_total{rule="r",alerter="dingtalk",result="failed"} 1');
    expect(metrics).toContain('esalert_rule_load_errors{file="rules/bad.yaml"} 1');
    expect(metrics).toContain('elastalert_scrapes_total{rule_name="r"} 1');

    obs.ruleRemoved('r');
    expect(await (await get('/metrics')).text()).not.toContain('rule="r"');
    expect((await get('/nope')).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
    obs.phase = 'stopping';
    expect((await get('/healthz')).status).toBe(503);
  });
});
