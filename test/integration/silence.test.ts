/**
 * `esalert silence` against the real writeback index, and a long-running engine honouring it:
 * silenced matches are held back, a lifted silence stops holding them back without a restart.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertPipeline } from '../../src/alerts/pipeline.ts';
import { catalogs } from '../../src/app/catalogs.ts';
import { systemClock } from '../../src/model/clock.ts';
import { loadGlobalConfig } from '../../src/config/global-config.ts';
import { type EngineDeps, runRule } from '../../src/engine/run-rule.ts';
import { createRuntimeRule } from '../../src/engine/runtime-rule.ts';
import type { EsConnection } from '../../src/query/es-client.ts';
import { createEsSearchPort } from '../../src/query/es-search-port.ts';
import { loadRuleFile } from '../../src/compile/compile-rule.ts';
import { createEsWriteback } from '../../src/state/es-writeback.ts';
import { writebackStores } from '../../src/state/writeback.ts';
import { createMemoryWriteback } from '../../src/state/memory-writeback.ts';
import { connectTestEs, esHostPort, testEs, uniqueName } from './helpers.ts';
import { runCli } from './support/cli.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';
import { crashloopRule } from '../support/rules.ts';

const silent = pino({ level: 'silent' });
const noEnv = () => undefined;

describe('esalert silence', () => {
  let es: EsConnection;
  let ws: Workspace;
  let ruleFile: string;
  const wb = uniqueName('esalert_silence');
  const manifest = () => testEs().corpus.manifest;
  const cli = async (...args: string[]) => {
    const run = runCli([...args, '--config', ws.config]);
    const code = await run.exited;
    return { code, out: run.stdout(), all: run.output() };
  };

  beforeAll(async () => {
    es = await connectTestEs();
    ws = makeWorkspace({
      ...esHostPort(),
      writeback_index: wb,
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
    });
    ruleFile = ws.writeRule('crashloop.yaml', crashloopRule({ realert: { minutes: 0 } }));
  });
  afterAll(async () => {
    await es.client.indices.delete({ index: `${wb}*` }).catch(() => {});
    await es.close();
    ws.remove();
  });

  it('set, list and lift; a running engine holds matches back and lets them through once lifted', async () => {
    const pods = [...new Set(manifest().crashLoops.map((c) => c.pod))].sort();
    const [quiet, ...others] = pods;

    // one pod, with ElastAlert 2's flags
    const one = await cli(
      'run',
      '--rule',
      'crashloop.yaml',
      '--silence',
      'hours=2',
      '--silence_qk_value',
      quiet!,
    );
    expect(one.code, one.all).toBe(0);
    expect(one.out).toMatch(new RegExp(`until .* \\(key crashloop\\.${quiet}\\)`));
    const doc = await es.client.search<Record<string, unknown>>({
      index: `${wb}_silence`,
      query: { term: { rule_name: `crashloop.${quiet}` } },
    });
    expect(Object.keys(doc.hits.hits[0]!._source!).sort()).toEqual([
      '@timestamp',
      'exponent',
      'rule_name',
      'until',
    ]);
    expect(doc.hits.hits[0]!._source!.exponent).toBe(0);

    const global = loadGlobalConfig(ws.config, { env: noEnv });
    const rule = loadRuleFile(ruleFile, { global, env: noEnv, catalogs: catalogs(), logger: silent });
    // silences from the real index; the many alert documents of realert 0 stay in memory
    const stored = createEsWriteback(es.client, wb);
    const writeback = { ...createMemoryWriteback(), silence: (key: string) => stored.silence(key) };
    const engine: EngineDeps = {
      clock: systemClock,
      logger: silent,
      stores: writebackStores(writeback),
      sink: createAlertPipeline({
        clock: systemClock,
        logger: silent,
        stores: writebackStores(writeback),
        alertTimeLimitMs: 86_400_000,
        maxAggregation: 10_000,
      }),
      search: () => createEsSearchPort(es.client),
      globals: { runEveryMs: 60_000, oldQueryLimitMs: 7 * 86_400_000 },
    };
    const window = { start: Date.parse(manifest().start) };
    const end = Date.parse(manifest().end);
    const fate = async () => {
      // a fresh window each time; the silence cache is the engine's, kept from run to run
      const report = await runRule(createRuntimeRule(rule), end, engine, window);
      expect(report.error).toBeUndefined();
      const by = new Map<string, Set<string>>();
      for (const m of report.matches) {
        const pod = (m.match.event as { involvedObject: { name: string } }).involvedObject.name;
        by.set(m.outcome, (by.get(m.outcome) ?? new Set()).add(pod));
      }
      return {
        silenced: [...(by.get('silenced') ?? [])].sort(),
        alerted: [...(by.get('alerted') ?? [])].sort(),
      };
    };

    expect(await fate()).toEqual({ silenced: [quiet], alerted: others });

    // the whole rule
    const all = await cli('silence', 'set', 'crashloop', '30m');
    expect(all.code, all.all).toBe(0);
    expect((await fate()).alerted).toEqual([]);

    const list = await cli('silence', 'list', 'crashloop', '--json');
    expect(list.code, list.all).toBe(0);
    const keys = (JSON.parse(list.out) as { key: string }[]).map((s) => s.key).sort();
    expect(keys).toEqual(['crashloop._silence', `crashloop.${quiet}`]);

    // lifted while the engine keeps its cache: the next run alerts again
    const lift = await cli('silence', 'lift', 'crashloop');
    expect(lift.code, lift.all).toBe(0);
    expect(lift.out).toContain('Lifted 1 silence(s).');
    expect(await fate()).toEqual({ silenced: [quiet], alerted: others });

    const byKey = await cli('silence', 'lift', 'crashloop', '--key', quiet!);
    expect(byKey.code, byKey.all).toBe(0);
    expect((await fate()).silenced).toEqual([]);
    expect((await cli('silence', 'lift', 'crashloop')).code).toBe(1);
  }, 180_000);

  it('names what is wrong: unknown rule, bad duration, --silence without --rule', async () => {
    const unknown = await cli('silence', 'set', 'nope', '1h');
    expect(unknown.code).toBe(1);
    expect(unknown.all).toContain('no rule named "nope"');
    const duration = await cli('silence', 'set', 'crashloop', 'soon');
    expect(duration.code).toBe(1);
    expect(duration.all).toContain('"soon" is not a duration');
    const noRule = await cli('run', '--silence', 'hours=1');
    expect(noRule.code).toBe(1);
    expect(noRule.all).toContain('--silence needs --rule');
  }, 60_000);
});
