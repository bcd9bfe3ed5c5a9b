/**
 * Finding what a rule names: built-in rule types, alerters and enhancements first, then user
 * modules (see load-module.ts). A module's export is checked for the expected shape.
 */
import { z } from 'zod';
import type { AlerterDefinition } from '../alerters/alerter.ts';
import { BUILTIN_ENHANCEMENTS, type Enhancement } from '../enhancements/enhancement.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { RuleTypeDefinition } from '../ruletypes/rule-type.ts';
import { isModuleReference, loadModuleExport } from './load-module.ts';

export type Found<T> = { def: T } | { error: string };

const cache = new Map<string, Found<unknown>>();

function fromModule<T>(
  spec: string,
  dirs: readonly string[],
  what: string,
  check: (v: unknown) => string | undefined,
  normalize: (v: T) => T = (v) => v,
): Found<T> {
  const key = `${what}\0${spec}\0${dirs.join('\0')}`;
  const hit = cache.get(key);
  if (hit) return hit as Found<T>;
  let found: Found<T>;
  try {
    const value = loadModuleExport(spec, dirs, what);
    const problem = check(value);
    found = problem ? { error: `${what} module "${spec}" ${problem}` } : { def: normalize(value as T) };
  } catch (err) {
    found = { error: errorMessage(err) };
  }
  cache.set(key, found);
  return found;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function findRuleType(
  name: string,
  builtins: ReadonlyMap<string, RuleTypeDefinition<never>>,
  dirs: readonly string[],
): Found<RuleTypeDefinition<never>> | undefined {
  const b = builtins.get(name);
  if (b) return { def: b };
  if (!isModuleReference(name)) return undefined;
  return fromModule<RuleTypeDefinition<never>>(
    name,
    dirs,
    'rule type',
    (v) =>
      isObject(v) && typeof v.create === 'function'
        ? undefined
        : 'must export a rule type definition: { name, create(context, options) }',
    (v) => ({
      ...v,
      summary: v.summary ?? '',
      optionNames: v.optionNames ?? [],
      supportsCountQuery: v.supportsCountQuery ?? false,
      supportsTermsQuery: v.supportsTermsQuery ?? false,
      name: v.name ?? name,
      // a module without an options schema gets the rule's options as they are
      options: (v.options ?? z.looseObject({})) as RuleTypeDefinition<never>['options'],
    }),
  );
}

export function findAlerterModule(
  name: string,
  dirs: readonly string[],
): Found<AlerterDefinition> | undefined {
  if (!isModuleReference(name)) return undefined;
  return fromModule<AlerterDefinition>(
    name,
    dirs,
    'alerter',
    (v) =>
      isObject(v) && typeof v.create === 'function'
        ? undefined
        : 'must export an alerter definition: { name, create(options, deps) }',
    (v) => ({ ...v, summary: v.summary ?? '', optionNames: v.optionNames ?? [], name: v.name ?? name }),
  );
}

export function findEnhancement(name: string, dirs: readonly string[]): Found<Enhancement> | undefined {
  const b = BUILTIN_ENHANCEMENTS.get(name);
  if (b) return { def: b };
  if (!isModuleReference(name)) return undefined;
  return fromModule<Enhancement>(name, dirs, 'enhancement', (v) =>
    isObject(v) && typeof v.process === 'function'
      ? undefined
      : 'must export an enhancement: { name, process(match, context) }',
  );
}
