/**
 * All rules of the rules folders. Each file loads on its own: a broken file is reported with
 * its error and the others load anyway. `..`-prefixed directories are skipped, so a Kubernetes
 * ConfigMap mount (with its `..data` symlink and timestamped directory) loads each rule once.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';
import { displayPath, loadRuleFile, type Rule, type RuleLoadContext } from '../rules/load-rule.ts';

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

export interface LoadedRules {
  rules: Rule[];
  /** Per-file problems; the rules in `rules` are unaffected by them. */
  errors: { file: string; error: EsalertError }[];
  /** Rules with is_enabled: false. */
  disabled: Rule[];
}

export function loadRules(ctx: RuleLoadContext, onlyRule?: string): LoadedRules {
  const { files, errors } = findRuleFiles(ctx.global.rulesFolders, ctx.global.scanSubdirectories, onlyRule);
  const out = loadRuleFiles(files, ctx);
  out.errors.unshift(...errors.map((error) => ({ file: '', error })));
  return out;
}

/** Loads each file on its own; a broken file or a duplicate name is an error for that file only. */
export function loadRuleFiles(files: readonly string[], ctx: RuleLoadContext): LoadedRules {
  const out: LoadedRules = { rules: [], errors: [], disabled: [] };
  const byName = new Map<string, Rule>();
  for (const file of files) {
    let rule: Rule;
    try {
      rule = loadRuleFile(file, ctx);
    } catch (err) {
      const error =
        err instanceof EsalertError
          ? err
          : new EsalertError('RULE_INVALID', `${displayPath(file)}: ${errorMessage(err)}`, { cause: err });
      out.errors.push({ file: displayPath(file), error });
      continue;
    }
    const clash = byName.get(rule.name);
    if (clash) {
      const loc = rule.locate(['name']);
      out.errors.push({
        file: rule.file,
        error: new EsalertError(
          'RULE_DUPLICATE_NAME',
          `duplicate rule name "${rule.name}" (already used by ${clash.file}); give each rule a unique name`,
          {
            location: loc,
          },
        ),
      });
      continue;
    }
    byName.set(rule.name, rule);
    (rule.options.isEnabled ? out.rules : out.disabled).push(rule);
  }
  return out;
}
