/** The rule types and alerters rules can name, and where user modules are looked up. */
import { dirname, resolve } from 'node:path';
import { AlerterRegistry } from '../alerters/registry.ts';
import type { RuleCatalogs } from '../compile/compile-rule.ts';
import { knownRuleOptions } from '../rules/ignored-options.ts';
import { BUILTIN_RULE_TYPES } from '../ruletypes/registry.ts';

/** What rules can name; user modules are looked up in the working directory, then beside config.yaml. */
export function catalogs(configFile?: string): RuleCatalogs {
  const dirs = [process.cwd(), ...(configFile ? [dirname(resolve(configFile))] : [])];
  return { ruleTypes: BUILTIN_RULE_TYPES, alerters: new AlerterRegistry(), moduleDirs: [...new Set(dirs)] };
}

export function knownRuleOptionNames(c: RuleCatalogs): Set<string> {
  // config.yaml may hold any rule option as a default for every rule
  return knownRuleOptions(c.alerters.optionNames(), ...[...c.ruleTypes.values()].map((t) => t.optionNames));
}
