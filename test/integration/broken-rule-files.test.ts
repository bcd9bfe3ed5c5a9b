/**
 * One broken rule file does not stop the others (docs/deviations.md): with no skip_invalid in
 * config.yaml, `esalert run` starts, runs the good rule, and shows the broken file in its log, in
 * /api/rules and in esalert_rule_load_errors, on the first start and again on a restart with the
 * file still broken. Only `skip_invalid: false`, written out, refuses to start.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { esHostPort, uniqueName } from './helpers.ts';
import { runCli } from './support/cli.ts';
import { testEsHooks } from './support/test-es-hooks.ts';
import { getJson, metric, serve, until } from './support/service.ts';
import { makeWorkspace } from './support/workspace.ts';

interface ApiRules {
  rules: { name: string; runs: number; warningCount: number }[];
  loadErrors: { file: string; error: string }[];
}

describe('a broken rule file beside a good one', () => {
  const hooks = testEsHooks();
  const { cleanup } = hooks;

  it('the good rule runs and alerts, on the first start and on a restart; the broken file is shown', async () => {
    const index = uniqueName('broken-events');
    const wb = uniqueName('esalert_broken');
    await hooks.es.client.indices.create({
      index,
      mappings: { properties: { '@timestamp': { type: 'date' }, reason: { type: 'keyword' } } },
    });
    cleanup.push(() => hooks.es.client.indices.delete({ index: `${index},${wb}*` }).catch(() => {}));
    const config = {
      ...esHostPort(),
      writeback_index: wb,
      run_every: { seconds: 2 },
      buffer_time: { minutes: 5 },
    };
    const ws = makeWorkspace(config);
    cleanup.push(() => ws.remove());
    ws.writeRule('good.yaml', {
      name: 'good',
      type: 'any',
      index,
      filter: [{ term: { reason: 'BackOff' } }],
      realert: { minutes: 0 },
      alert: ['debug'],
    });
    // a rule that can never alert: its index pattern matches no index
    ws.writeRule('typo.yaml', {
      name: 'typo',
      type: 'any',
      index: `${index}-typo-*`,
      alert: ['debug'],
    });
    // a frequency rule without num_events, line 2 being its type
    const broken = ws.writeRule(
      'broken.yaml',
      `name: broken\ntype: frequency\nindex: ${index}\nalert: debug\n`,
    );

    const startAndCheck = async (event: string) => {
      const { run, url } = await serve(ws.config, [], cleanup);
      const scrape = () => fetch(`${url}/metrics`).then((r) => r.text());
      await hooks.es.client.index({
        index,
        refresh: true,
        document: { '@timestamp': new Date().toISOString(), reason: 'BackOff', message: event },
      });
      await until('the good rule alerting', async () => {
        const sent = metric(await scrape(), 'esalert_rule_alerts_total', {
          rule: 'good',
          alerter: 'debug',
          result: 'sent',
        });
        return (sent ?? 0) >= 1 && run.output().includes(event);
      });
      const api = await getJson<ApiRules>(`${url}/api/rules`);
      expect(api.rules.map((r) => r.name).sort()).toEqual(['good', 'typo']);
      expect(api.rules.find((r) => r.name === 'good')!.warningCount).toBe(0);
      expect(api.rules.find((r) => r.name === 'typo')!.warningCount).toBe(1);
      const typo = await getJson<{ warnings: string[] }>(`${url}/api/rules/typo`);
      expect(typo.warnings).toEqual([
        expect.stringMatching(/typo\.yaml:\d+:\d+: index "[^"]+-typo-\*" matches no index: check the name/),
      ]);
      // the log is JSON lines: the quotes are escaped
      expect(run.output()).toMatch(/typo\.yaml:\d+:\d+: index \\"[^"\\]+-typo-\*\\" matches no index/);
      // where the rules came from: the absolute folder and how many files it holds
      expect(run.output()).toContain(`"rulesFolders":[${JSON.stringify(ws.rulesDir)}],"ruleFiles":3`);
      expect(api.loadErrors).toEqual([
        expect.objectContaining({
          file: broken,
          error: expect.stringMatching(/broken\.yaml:\d+:\d+: num_events is required/),
        }),
      ]);
      expect(metric(await scrape(), 'esalert_rule_load_errors', { file: broken })).toBe(1);
      expect(run.output()).toMatch(/broken\.yaml:\d+:\d+: num_events is required/);
      expect(run.output()).not.toContain('skip_invalid');
      run.child.kill('SIGTERM');
      expect(await run.exited, run.output()).toBe(0);
    };
    await startAndCheck('first start');
    // a pod restart: the file is still broken, and the good rule still runs
    await startAndCheck('after the restart');

    // written out, skip_invalid: false refuses to start, as ElastAlert 2 does by default
    writeFileSync(ws.config, stringify({ rules_folder: ws.rulesDir, ...config, skip_invalid: false }));
    const strict = runCli(['run', '--config', ws.config]);
    cleanup.push(() => (strict.child.exitCode === null ? strict.child.kill('SIGKILL') : undefined));
    expect(await strict.exited, strict.output()).toBe(1);
    expect(strict.output()).toContain(
      '1 rule file(s) failed to load and config.yaml says skip_invalid: false',
    );
    expect(strict.output()).toContain(join(ws.rulesDir, 'broken.yaml'));
  }, 600_000);
});
