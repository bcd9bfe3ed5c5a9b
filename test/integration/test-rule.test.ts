/** `esalert test-rule` against the test Elasticsearch, as a user runs it from a shell. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esHostPort, testEs } from './helpers.ts';
import { runCli } from './support/cli.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';
import { crashloopRule } from '../support/rules.ts';

interface Formatted {
  hits: number;
  result: { matches: number; hits: number };
  alerts: { title: string; text: string }[];
  error?: string;
}

const crashloop = crashloopRule({
  alert_text: 'pod {} is crash-looping',
  alert_text_args: ['event.involvedObject.name'],
  alert_text_type: 'alert_text_only',
});

describe('esalert test-rule', () => {
  let ws: Workspace;
  const manifest = () => testEs().corpus.manifest;
  const window = () => ['--start', manifest().start, '--end', manifest().end];
  const cli = async (args: string[]) => {
    const run = runCli(['test-rule', '--config', ws.config, ...args]);
    const code = await run.exited;
    return { code, out: run.stdout(), all: run.output() };
  };

  beforeAll(() => {
    ws = makeWorkspace({ ...esHostPort(), writeback_index: 'esalert_test_rule_unused' });
  });
  afterAll(() => ws.remove());

  it('alerts each crash-looping pod of the corpus once, and the saved hits give the same result offline', async () => {
    const rule = ws.writeRule('crashloop.yaml', crashloop);
    const saved = join(ws.dir, 'hits.json');
    const live = await cli([rule, ...window(), '--formatted-output', '--save-json', saved]);
    expect(live.code, live.all).toBe(0);
    const json = JSON.parse(live.out) as Formatted;
    const pods = manifest()
      .crashLoops.map((c) => c.pod)
      .sort();
    expect(json.alerts.map((a) => a.text.trim().replace(/^pod (\S+) .*/, '$1')).sort()).toEqual(pods);
    expect(json.result.matches).toBeGreaterThan(pods.length);
    expect((JSON.parse(readFileSync(saved, 'utf8')) as unknown[]).length).toBe(json.hits);

    const offline = await cli([rule, ...window(), '--formatted-output', '--data', saved]);
    expect(offline.code, offline.all).toBe(0);
    const o = JSON.parse(offline.out) as Formatted;
    expect(o.result).toEqual(json.result);
    expect(o.alerts).toEqual(json.alerts);
  }, 120_000);

  it('an index pattern that matches no index is named, with the line of index', async () => {
    const rule = ws.writeRule('typo.yaml', { ...crashloop, name: 'typo', index: 'eventrouterr-*' });
    const res = await cli([rule, ...window(), '--count-only']);
    expect(res.code, res.all).toBe(0);
    expect(res.out).toMatch(
      /warning: .*typo\.yaml:\d+:\d+: index "eventrouterr-\*" matches no index: check the name/,
    );
    expect(res.out).toMatch(/Got 0 hits/);
  }, 60_000);

  it('--count-only prints the number of hits Elasticsearch counts', async () => {
    const rule = ws.writeRule('count.yaml', { ...crashloop, name: 'count' });
    const res = await cli([rule, ...window(), '--count-only']);
    expect(res.code, res.all).toBe(0);
    // the window given is named as given, not as "the last N days"
    expect(res.out).toMatch(/Got \d+ hits between \S+ and \S+/);
    expect(res.out).not.toContain('day(s)');
    expect(res.out).toContain('\tevent.involvedObject.name');
    expect(res.out).not.toContain('match(es)');
  }, 60_000);

  it('a filter Elasticsearch rejects: the reason, and exit 3 with --stop-error', async () => {
    const rule = ws.writeRule('bad.yaml', {
      ...crashloop,
      name: 'bad',
      filter: [{ term: { 'event.count': 'many' } }],
    });
    const res = await cli([rule, ...window(), '--stop-error']);
    expect(res.code, res.all).toBe(3);
    expect(res.out).toMatch(/Error querying Elasticsearch: .*many/);
  }, 60_000);
});
