/** A rule compiled from options written in code, as the same rule file would load. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { catalogs } from '../../src/app/catalogs.ts';
import { loadRuleFile } from '../../src/compile/compile-rule.ts';
import type { CompiledRule } from '../../src/compile/compiled-rule.ts';
import { testConfig } from './config.ts';

export function compileTestRule(
  options: Record<string, unknown>,
  config: Record<string, unknown> = {},
): CompiledRule {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-rule-'));
  const file = join(dir, 'rule.yaml');
  // JSON is YAML
  writeFileSync(file, JSON.stringify(options));
  return loadRuleFile(file, {
    global: testConfig({ rules_folder: dir, ...config }),
    env: () => undefined,
    catalogs: catalogs(),
    logger: pino({ level: 'silent' }),
  });
}
