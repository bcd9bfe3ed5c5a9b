/**
 * esalert as a long-running service: /metrics counters move with runs, /readyz and /api/rules
 * say how it is doing, rule files are reloaded while it runs, and SIGTERM stops it without
 * losing or repeating an alert.
 */
import { writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { esHostPort, testEs, uniqueName } from './helpers.ts';
import { type CliRun, runCli } from './support/cli.ts';
import { testEsHooks } from './support/test-es-hooks.ts';
import { getJson, metric, PATIENCE_MS, serve as serveCli, until } from './support/service.ts';
import { type Receiver, startReceiver } from './support/http-receiver.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';
import { stringify } from 'yaml';
import { crashloopRule } from '../support/rules.ts';

interface RuleStatus {
  name: string;
  runs: number;
  loadedAt: string;
  reloadError?: string;
  lastRun?: { hits: number; matches: number; alerted: number };
  lastAlert?: { ok: boolean };
}

describe('running as a service', () => {
  const hooks = testEsHooks();
  const { cleanup } = hooks;

  const serve = (ws: Workspace, extra: string[] = []) => serveCli(ws.config, extra, cleanup);

  it('metrics move with runs; rules are added, edited, broken and removed while it runs', async () => {
    const index = uniqueName('ops-events');
    const wb = uniqueName('esalert_ops');
    await hooks.es.client.indices.create({
      index,
      mappings: { properties: { '@timestamp': { type: 'date' }, reason: { type: 'keyword' } } },
    });
    cleanup.push(() => hooks.es.client.indices.delete({ index: `${index},${wb}*` }).catch(() => {}));
    const ws = makeWorkspace({
      ...esHostPort(),
      writeback_index: wb,
      run_every: { seconds: 2 },
      buffer_time: { minutes: 5 },
    });
    cleanup.push(() => ws.remove());
    const rule = (name: string, reason: string) => ({
      name,
      type: 'any',
      index,
      filter: [{ term: { reason } }],
      realert: { minutes: 0 },
      alert: ['debug'],
    });
    ws.writeRule('a.yaml', rule('a', 'BackOff'));
    const { run, url } = await serve(ws);

    expect((await getJson<{ status: string }>(`${url}/healthz`)).status).toBe('ok');
    const ready = await until(
      'ready',
      async () => {
        const r = await fetch(`${url}/readyz`);
        return r.status === 200 ? ((await r.json()) as { status: string }) : undefined;
      },
      PATIENCE_MS,
    );
    expect(ready.status).toBe('ready');

    // a run happens; then an event arrives and the counters move
    const scrape = () => fetch(`${url}/metrics`).then((r) => r.text());
    await until(
      'a first run',
      async () => (metric(await scrape(), 'esalert_rule_runs_total', { rule: 'a', result: 'ok' }) ?? 0) >= 1,
      PATIENCE_MS,
    );
    const before = await scrape();
    expect(metric(before, 'esalert_rule_hits_total', { rule: 'a' })).toBe(0);
    await hooks.es.client.index({
      index,
      refresh: true,
      document: { '@timestamp': new Date().toISOString(), reason: 'BackOff' },
    });
    const after = await until(
      'the event counted',
      async () => {
        const t = await scrape();
        const sent =
          metric(t, 'esalert_rule_alerts_total', { rule: 'a', alerter: 'debug', result: 'sent' }) ?? 0;
        return sent >= 1 && (metric(t, 'esalert_rule_hits_total', { rule: 'a' }) ?? 0) >= 1 ? t : undefined;
      },
      PATIENCE_MS,
    );
    expect(metric(after, 'esalert_rule_hits_total', { rule: 'a' })).toBe(1);
    expect(metric(after, 'esalert_rule_matches_total', { rule: 'a' })).toBe(1);
    expect(metric(after, 'elastalert_hits_total', { rule_name: 'a' })).toBe(1);
    expect(metric(after, 'esalert_rule_lag_seconds', { rule: 'a' })).toBeLessThan(60);
    const statusA = (await getJson<{ rules: RuleStatus[] }>(`${url}/api/rules`)).rules.find(
      (r) => r.name === 'a',
    )!;
    expect(statusA.lastAlert?.ok).toBe(true);

    // a new file goes live (how soon is reported, not tested: the machine may be loaded)
    const written = Date.now();
    ws.writeRule('b.yaml', rule('b', 'Unhealthy'));
    await until(
      'rule b running',
      async () => {
        const rules = (await getJson<{ rules: RuleStatus[] }>(`${url}/api/rules`)).rules;
        return (rules.find((r) => r.name === 'b')?.runs ?? 0) >= 1 ? true : undefined;
      },
      PATIENCE_MS,
    );
    const liveAfterMs = Date.now() - written;
    expect(liveAfterMs).toBeGreaterThan(0);

    // an edit that breaks the rule keeps the previous version running, with the error shown
    const runsBefore = (await getJson<{ rules: RuleStatus[] }>(`${url}/api/rules`)).rules.find(
      (r) => r.name === 'a',
    )!.runs;
    writeFileSync(join(ws.rulesDir, 'a.yaml'), 'name: a\ntype: frequency\nindex: x\nalert: debug\n');
    const broken = await until(
      'the reload error',
      async () => {
        const s = (await getJson<{ rules: RuleStatus[] }>(`${url}/api/rules`)).rules.find(
          (r) => r.name === 'a',
        )!;
        return s.reloadError ? s : undefined;
      },
      PATIENCE_MS,
    );
    expect(broken.reloadError).toMatch(/a\.yaml:\d+:\d+: num_events is required/);
    expect(metric(await scrape(), 'esalert_rule_load_errors', { file: join(ws.rulesDir, 'a.yaml') })).toBe(1);
    await until(
      'a still running',
      async () => {
        const s = (await getJson<{ rules: RuleStatus[] }>(`${url}/api/rules`)).rules.find(
          (r) => r.name === 'a',
        )!;
        return s.runs > runsBefore + 1 ? true : undefined;
      },
      PATIENCE_MS,
    );
    expect(run.output()).toContain('(the previous version of a keeps running)');

    // a fixed edit is swapped in; a deleted file stops its rule
    ws.writeRule('a.yaml', rule('a', 'Killing'));
    await until(
      'a reloaded',
      async () => {
        const s = (await getJson<{ rules: RuleStatus[] }>(`${url}/api/rules`)).rules.find(
          (r) => r.name === 'a',
        )!;
        return s.reloadError === undefined && s.loadedAt !== statusA.loadedAt ? true : undefined;
      },
      PATIENCE_MS,
    );
    unlinkSync(join(ws.rulesDir, 'b.yaml'));
    await until(
      'b removed',
      async () => {
        const rules = (await getJson<{ rules: RuleStatus[] }>(`${url}/api/rules`)).rules;
        return rules.some((r) => r.name === 'b') ? undefined : true;
      },
      PATIENCE_MS,
    );
    expect(metric(await scrape(), 'esalert_rule_runs_total', { rule: 'b', result: 'ok' })).toBeUndefined();

    run.child.kill('SIGTERM');
    expect(await run.exited, run.output()).toBe(0);
    process.stdout.write(`[operations] new rule live after ${liveAfterMs} ms (run_every 2 s)\n`);
  }, 600_000);

  it('/readyz says not ready while Elasticsearch is unreachable', async () => {
    const ws = makeWorkspace({
      es_host: '127.0.0.1',
      es_port: 9,
      writeback_index: 'unused',
      run_every: { minutes: 1 },
      buffer_time: { minutes: 5 },
    });
    cleanup.push(() => ws.remove());
    const { run, url } = await serve(ws);
    const r = await fetch(`${url}/readyz`);
    expect(r.status).toBe(503);
    expect(((await r.json()) as { reasons: string[] }).reasons.join(' ')).toMatch(
      /rules are not loaded yet|not connected/,
    );
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 300_000);

  it('SIGTERM in the middle of a run: exits 0, and the next start sends what was left, each alert once', async () => {
    const receiver: Receiver = await startReceiver({ status: 200, body: 'ok' });
    cleanup.push(() => receiver.close());
    const wb = uniqueName('esalert_term');
    cleanup.push(() => hooks.es.client.indices.delete({ index: `${wb}*` }).catch(() => {}));
    const ws = makeWorkspace({
      ...esHostPort(),
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      writeback_index: wb,
    });
    cleanup.push(() => ws.remove());
    writeFileSync(
      join(ws.rulesDir, 'crashloop.yaml'),
      stringify(crashloopRule({ alert: ['post'], http_post_url: `${receiver.url}/crashloop` })),
    );
    const m = testEs().corpus.manifest;
    const pods = m.crashLoops.map((c) => c.pod).sort();
    const args = [
      'run',
      '--config',
      ws.config,
      '--start',
      m.start,
      '--end',
      m.end,
      '--verbose',
      '--shutdown-timeout',
      '2',
    ];

    // the first alert is answered; the second is held past the shutdown deadline
    receiver.script({ status: 200, body: 'ok' }, { status: 200, body: 'ok', hold: true });
    const first: CliRun = runCli(args);
    cleanup.push(() => (first.child.exitCode === null ? first.child.kill('SIGKILL') : undefined));
    await until(
      'the first alert',
      async () => (receiver.received.length >= 1 ? true : undefined),
      PATIENCE_MS,
    );
    await until('the second alert on its way', async () => receiver.holding() >= 1, PATIENCE_MS);
    first.child.kill('SIGTERM');
    expect(await first.exited, first.output()).toBe(0);
    expect(first.output()).toContain('stopping: finishing running queries and sending due alerts');
    expect(receiver.received).toHaveLength(1);

    receiver.fallback = { status: 200, body: 'ok' };
    const second = runCli(args);
    expect(await second.exited, second.output()).toBe(0);
    const alerted = receiver.received.map(
      (r) => (r.json as { event: { involvedObject: { name: string } } }).event.involvedObject.name,
    );
    expect(alerted.slice().sort()).toEqual(pods);
    expect(new Set(alerted).size).toBe(alerted.length);
  }, 400_000);
});
