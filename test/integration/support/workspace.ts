/** A scratch directory with a config.yaml and rule files, as a user would have them. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

export interface Workspace {
  dir: string;
  config: string;
  rulesDir: string;
  writeRule(file: string, rule: Record<string, unknown> | string): string;
  remove(): void;
}

export function makeWorkspace(config: Record<string, unknown>): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-ws-'));
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, stringify({ rules_folder: rulesDir, ...config }));
  return {
    dir,
    config: configFile,
    rulesDir,
    writeRule(file, rule) {
      const path = join(rulesDir, file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, typeof rule === 'string' ? rule : stringify(rule));
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
