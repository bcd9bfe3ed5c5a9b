/**
 * The rule files of the rules folders (recursively unless scan_subdirectories is false).
 * `..`-prefixed directories are skipped, so a Kubernetes ConfigMap mount (with its `..data`
 * symlink and timestamped directory) yields each rule once.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EsalertError } from '../errors/esalert-error.ts';
import { displayPath } from './load-rule.ts';

const isYaml = (name: string) => name.endsWith('.yaml') || name.endsWith('.yml');

export interface FoundFiles {
  files: string[];
  errors: EsalertError[];
}

/** Rule files under the folders (recursively unless scan_subdirectories is false), sorted. */
export function findRuleFiles(
  folders: readonly string[],
  scanSubdirectories: boolean,
  onlyRule?: string,
): FoundFiles {
  if (onlyRule && existsSync(onlyRule) && statSync(onlyRule).isFile())
    return { files: [resolve(onlyRule)], errors: [] };
  const files: string[] = [];
  const errors: EsalertError[] = [];
  const walk = (dir: string, seen: Set<string>) => {
    let real: string;
    try {
      real = resolve(dir);
      const st = statSync(real);
      const id = `${st.dev}:${st.ino}`;
      if (seen.has(id)) return; // a symlink loop
      seen.add(id);
    } catch {
      return;
    }
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = statSync(path);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (isDir) {
        if (scanSubdirectories && !entry.name.startsWith('..')) walk(path, seen);
      } else if (isFile && isYaml(entry.name)) {
        if (!onlyRule || basename(onlyRule) === entry.name) files.push(path);
      }
    }
  };
  for (const folder of folders) {
    if (!existsSync(folder)) {
      if (scanSubdirectories)
        errors.push(new EsalertError('CONFIG_INVALID', `rules_folder ${displayPath(folder)} does not exist`));
      continue;
    }
    walk(folder, new Set());
  }
  return { files: [...new Set(files)].sort(), errors };
}
