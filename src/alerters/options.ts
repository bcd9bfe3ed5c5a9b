/** Reading alerter options: zod validation into OptionProblems, and ElastAlert 2's `$prop$` references. */
import type { z } from 'zod';
import { problemsFromZod } from '../config/fields.ts';
import type { Doc } from '../model/lookup.ts';
import { OptionProblem } from './alerter.ts';

export function readOptions<T>(schema: z.ZodType<T>, options: Doc): T {
  const r = schema.safeParse(options);
  if (r.success) return r.data;
  const first = problemsFromZod(r.error, options)[0]!;
  const rest = first.path.slice(1).map(String).join('.');
  throw new OptionProblem(String(first.path[0] ?? ''), rest ? `${rest} ${first.message}` : first.message);
}

/** Replaces option values written as "$name$" with the rule's `name` option (recursively). */
export function resolveRuleReferences<T>(value: T, rule: Doc): T {
  if (Array.isArray(value)) return value.map((v) => resolveRuleReferences(v, rule)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveRuleReferences(v, rule)]),
    ) as T;
  }
  const text = String(value);
  if (text.length > 2 && text.startsWith('$') && text.endsWith('$') && text.slice(1, -1) in rule) {
    const ref = rule[text.slice(1, -1)];
    return (typeof value === 'number' ? Number(ref) : ref) as T;
  }
  return value;
}
