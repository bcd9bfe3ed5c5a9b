/** Hot reload over real files, including a Kubernetes ConfigMap mount's symlink swap. */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { catalogs } from '../../../src/app/catalogs.ts';
import { RuleReloader } from '../../../src/app/reloader.ts';
import type { CompiledRule } from '../../../src/compile/compiled-rule.ts';
import { loadRules } from '../../../src/compile/load-rules.ts';
import { testConfig } from '../../support/config.ts';

const rule = (name: string, reason: string, extra: Record<string, unknown> = {}) =>
  stringify({
    name,
    type: 'any',
    index: 'eventrouter-*',
    filter: [{ term: { reason } }],
    alert: ['debug'],
    ...extra,
  });

describe('RuleReloader', () => {
  let dir: string;
  let installed: CompiledRule[];
  let removed: string[];

  const setup = (rulesDir: string) => {
    const global = testConfig(
      { rules_folder: rulesDir, buffer_time: { minutes: 5 } },
      join(dir, 'config.yaml'),
    );
    const ctx = { global, env: () => undefined, catalogs: catalogs(), logger: pino({ level: 'silent' }) };
    const loaded = loadRules(ctx);
    return new RuleReloader(
      {
        ctx,
        install: async (r) => void installed.push(r),
        remove: (n) => void removed.push(n),
        logger: ctx.logger,
      },
      loaded,
    );
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'esalert-reload-'));
    installed = [];
    removed = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds, changes, disables, breaks and removes rules; leaves unchanged ones alone', async () => {
    const rules = join(dir, 'rules');
    mkdirSync(join(rules, 'shared'), { recursive: true });
    writeFileSync(join(rules, 'a.yaml'), rule('a', 'BackOff'));
    writeFileSync(join(rules, 'shared', 'base.yaml.inc'), stringify({ realert: { minutes: 5 } }));
    writeFileSync(join(rules, 'b.yaml'), `import: shared/base.yaml.inc\n${rule('b', 'Failed')}`);
    const reloader = setup(rules);
    expect(await reloader.check()).toEqual({ added: [], changed: [], removed: [], failed: [] });

    writeFileSync(join(rules, 'c.yaml'), rule('c', 'Unhealthy'));
    writeFileSync(join(rules, 'shared', 'base.yaml.inc'), stringify({ realert: { minutes: 10 } }));
    expect(await reloader.check()).toEqual({ added: ['c'], changed: ['b'], removed: [], failed: [] });
    expect(installed.map((r) => r.name)).toEqual(['b', 'c']);
    expect(installed[0]!.options.realertMs).toBe(600_000);

    writeFileSync(join(rules, 'a.yaml'), 'name: a\ntype: frequency\nindex: x\nalert: debug\n');
    const broken = await reloader.check();
    expect(broken.failed).toEqual([expect.stringMatching(/a\.yaml$/)]);
    expect(removed).toEqual([]);
    // the same broken content is not reported again
    expect(await reloader.check()).toEqual({ added: [], changed: [], removed: [], failed: [] });

    writeFileSync(join(rules, 'a.yaml'), rule('a', 'BackOff', { is_enabled: false }));
    unlinkSync(join(rules, 'c.yaml'));
    expect(await reloader.check()).toEqual({ added: [], changed: [], removed: ['c', 'a'], failed: [] });
  });

  it('a ConfigMap update (the ..data symlink swapped to a new directory) is seen as edits', async () => {
    const rules = join(dir, 'rules');
    mkdirSync(join(rules, '..2024_05_14_01'), { recursive: true });
    writeFileSync(join(rules, '..2024_05_14_01', 'a.yaml'), rule('a', 'BackOff'));
    symlinkSync('..2024_05_14_01', join(rules, '..data'));
    symlinkSync('..data/a.yaml', join(rules, 'a.yaml'));
    const reloader = setup(rules);
    expect(installed).toEqual([]);

    // kubelet writes the new version beside the old one, then swaps ..data atomically
    mkdirSync(join(rules, '..2024_05_14_02'));
    writeFileSync(join(rules, '..2024_05_14_02', 'a.yaml'), rule('a', 'Killing'));
    writeFileSync(join(rules, '..2024_05_14_02', 'b.yaml'), rule('b', 'Failed'));
    symlinkSync('..2024_05_14_02', join(rules, '..data_tmp'));
    renameSync(join(rules, '..data_tmp'), join(rules, '..data'));
    symlinkSync('..data/b.yaml', join(rules, 'b.yaml'));
    rmSync(join(rules, '..2024_05_14_01'), { recursive: true });

    expect(await reloader.check()).toEqual({ added: ['b'], changed: ['a'], removed: [], failed: [] });
    expect(installed.find((r) => r.name === 'a')!.options.filters).toEqual([{ term: { reason: 'Killing' } }]);
    expect(await reloader.check()).toEqual({ added: [], changed: [], removed: [], failed: [] });
  });
});
