/**
 * Rule files in the shapes public ElastAlert 2 rules take (test/fixtures/rules/migration): each
 * says whether ElastAlert 2 2.31 loads it and what esalert does. esalert refuses a rule only
 * when ElastAlert 2 refuses it too or when it would fail at every run; otherwise it loads it,
 * with a warning at file:line where something deserves a look.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { catalogs } from '../../../src/app/catalogs.ts';
import { parseGlobalConfig } from '../../../src/config/global-config.ts';
import { loadRuleFile } from '../../../src/compile/compile-rule.ts';

const DIR = join(import.meta.dirname, '../../fixtures/rules/migration');
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

const ctx = {
  global: parseGlobalConfig(
    {
      file: 'config.yaml',
      value: {
        rules_folder: DIR,
        run_every: { minutes: 1 },
        buffer_time: { minutes: 15 },
        es_host: 'localhost',
        writeback_index: 'wb',
      },
      locate: () => ({ file: 'config.yaml', line: 1 }),
    },
    { env: () => undefined },
  ),
  env: () => undefined,
  catalogs: catalogs(),
  logger: pino({ level: 'silent' }),
};

interface Expectation {
  ea2: 'loads' | 'refuses';
  esalert: 'loads' | 'warns' | 'refuses';
  line?: number;
  message?: RegExp;
}

function expectation(text: string): Expectation {
  const ea2 = /^# ElastAlert 2: (loads|refuses)$/m.exec(text)?.[1] as Expectation['ea2'];
  const m = /^# esalert: (loads|warns|refuses)(?: (\d+)(?:: (.+))?)?$/m.exec(text);
  return {
    ea2,
    esalert: m![1] as Expectation['esalert'],
    ...(m![2] ? { line: Number(m![2]) } : {}),
    ...(m![3] ? { message: new RegExp(m![3]) } : {}),
  };
}

function load(name: string): { outcome: 'loads' | 'warns' | 'refuses'; messages: string[] } {
  try {
    const rule = loadRuleFile(join(DIR, name), ctx);
    return { outcome: rule.warnings.length ? 'warns' : 'loads', messages: rule.warnings };
  } catch (err) {
    return { outcome: 'refuses', messages: (err as Error).message.split('\n') };
  }
}

describe('rule files from ElastAlert 2 setups', () => {
  it('there are cases of each kind', () => {
    const kinds = files.map((f) => expectation(readFileSync(join(DIR, f), 'utf8')).esalert);
    for (const kind of ['loads', 'warns', 'refuses'] as const)
      expect(kinds.filter((k) => k === kind).length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('%s', (name) => {
    const want = expectation(readFileSync(join(DIR, name), 'utf8'));
    const got = load(name);
    expect(got.outcome, got.messages.join('\n')).toBe(want.esalert);
    if (want.line !== undefined) {
      const at = got.messages.filter((m) => m.includes(`${name}:${want.line}:`));
      expect(at, got.messages.join('\n')).not.toEqual([]);
      if (want.message)
        expect(
          at.some((m) => want.message!.test(m)),
          got.messages.join('\n'),
        ).toBe(true);
    }
  });

  it('refuses what ElastAlert 2 loads only when the rule would fail at every run', () => {
    const refusedLoadable = files.filter((f) => {
      const want = expectation(readFileSync(join(DIR, f), 'utf8'));
      return want.ea2 === 'loads' && load(f).outcome === 'refuses';
    });
    // Elasticsearch rejects this query_string at every run
    expect(refusedLoadable).toEqual(['invalid-query-string.yaml']);
  });
});
