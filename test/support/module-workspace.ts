/** A temporary directory with rules/ and modules/ (user modules written as given), for tests of module loading. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function moduleWorkspace(modules: Record<string, string[]>): { dir: string; rules: string } {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-modules-'));
  const rules = join(dir, 'rules');
  mkdirSync(rules);
  mkdirSync(join(dir, 'modules'));
  for (const [file, lines] of Object.entries(modules))
    writeFileSync(join(dir, 'modules', file), `${lines.join('\n')}\n`);
  return { dir, rules };
}
