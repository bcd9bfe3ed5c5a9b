/** Reading alerter options: zod validation into OptionProblems, and ElastAlert 2's `$prop$` references. */
import type { z } from 'zod';
import { problemsFromZod } from '../config/fields.ts';
import type { Doc } from '../model/lookup.ts';
import { OptionProblem } from './alerter.ts';
import { templateOptions } from '../format/template-values.ts';

export function readOptions<T>(schema: z.ZodType<T>, options: Doc): T {
  const r = schema.safeParse(options);
  if (r.success) return r.data;
  const first = problemsFromZod(r.error, options)[0]!;
  const rest = first.path.slice(1).map(String).join('.');
  throw new OptionProblem(String(first.path[0] ?? ''), rest ? `${rest} ${first.message}` : first.message);
}

/** The option a value written as "$name$" refers to, if it is one. */
function referenceName(value: unknown): string | undefined {
  const text = String(value);
  return text.length > 2 && text.startsWith('$') && text.endsWith('$') ? text.slice(1, -1) : undefined;
}

/**
 * Replaces option values written as "$name$" with the rule's `name` option (recursively). Only the
 * options templates may read are referenced (template-values.ts): `$es_password$` stays as written.
 */
export function resolveRuleReferences<T>(value: T, rule: Doc): T {
  return resolveIn(value, templateOptions(rule));
}

function resolveIn<T>(value: T, options: Doc): T {
  if (Array.isArray(value)) return value.map((v) => resolveIn(v, options)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveIn(v, options)])) as T;
  }
  const name = referenceName(value);
  if (name !== undefined && Object.hasOwn(options, name)) {
    const ref = options[name];
    return (typeof value === 'number' ? Number(ref) : ref) as T;
  }
  return value;
}

/** "$name$" references to rule options that are credentials (left unresolved), for load warnings. */
export function credentialReferences(value: unknown, rule: Doc): string[] {
  const options = templateOptions(rule);
  const found: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    else {
      const name = referenceName(v);
      if (name !== undefined && Object.hasOwn(rule, name) && !Object.hasOwn(options, name)) found.push(name);
    }
  };
  walk(value);
  return found;
}
