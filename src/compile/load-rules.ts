/**
 * All rules of the rules folders. Each file loads on its own: a broken file is reported with
 * its error and the others load anyway.
 */
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';
import { findRuleFiles } from '../rules/find-rule-files.ts';
import { displayPath } from '../rules/load-rule.ts';
import { loadRuleFile, type RuleLoadContext } from './compile-rule.ts';
import type { CompiledRule } from './compiled-rule.ts';

export interface LoadedRules {
  rules: CompiledRule[];
  /** Per-file problems; the rules in `rules` are unaffected by them. */
  errors: { file: string; error: EsalertError }[];
  /** Rules with is_enabled: false. */
  disabled: CompiledRule[];
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
  const byName = new Map<string, CompiledRule>();
  for (const file of files) {
    let rule: CompiledRule;
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
