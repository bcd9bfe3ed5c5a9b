/**
 * Options of a rule file that esalert does not read: ElastAlert 2 options it does not support
 * yet, and names neither knows (typos, or notes users keep in their rules).
 */
import { GLOBAL_ONLY_KEYS } from '../config/global-config.ts';
import { ELASTALERT_OPTION_NAMES } from './elastalert-options.ts';
import { COMMON_RULE_OPTIONS } from './rule-options.ts';

export interface IgnoredOptions {
  /** ElastAlert 2 options esalert does not support yet. */
  unsupported: string[];
  /** Options ElastAlert 2 does not know either. */
  unknown: string[];
}

/**
 * Every option esalert reads in a rule: the common ones and those of `families` (the option
 * names of its rule type, alerters and enhancements; of all of them for config.yaml's defaults).
 */
export function knownRuleOptions(...families: Iterable<string>[]): Set<string> {
  const known = new Set<string>([...COMMON_RULE_OPTIONS, ...GLOBAL_ONLY_KEYS, 'rule_file']);
  for (const names of families) for (const name of names) known.add(name);
  return known;
}

export function ignoredOptions(keys: Iterable<string>, known: ReadonlySet<string>): IgnoredOptions {
  const out: IgnoredOptions = { unsupported: [], unknown: [] };
  for (const key of keys) {
    if (known.has(key)) continue;
    (ELASTALERT_OPTION_NAMES.has(key) ? out.unsupported : out.unknown).push(key);
  }
  return out;
}
