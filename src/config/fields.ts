/**
 * Field schemas shared by config.yaml and rule files, and the translation of validation problems
 * into messages that say where and what to fix.
 */
import { z } from 'zod';
import { EsalertError, type ErrorCode } from '../errors/esalert-error.ts';
import type { YamlPath, YamlSource } from './yaml-source.ts';

const UNITS = {
  weeks: 604_800_000,
  days: 86_400_000,
  hours: 3_600_000,
  minutes: 60_000,
  seconds: 1000,
  milliseconds: 1,
  microseconds: 0.001,
} as const;
export const DURATION_UNITS = Object.keys(UNITS);

/** ElastAlert 2's time dict ({minutes: 5, seconds: 30}) as milliseconds. */
export const duration = z
  .strictObject(
    Object.fromEntries(
      Object.keys(UNITS).map((u) => [u, z.number({ error: `must be a number of ${u}` }).optional()]),
    ),
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown time unit; use ${DURATION_UNITS.slice(0, 6).join(', ')} (e.g. {minutes: 5})`
          : iss.code === 'invalid_type'
            ? 'must be a time like {minutes: 5} (weeks, days, hours, minutes, seconds, milliseconds)'
            : undefined,
    },
  )
  .transform((d, ctx) => {
    let ms = 0;
    for (const [unit, factor] of Object.entries(UNITS))
      ms += ((d as Record<string, number | undefined>)[unit] ?? 0) * factor;
    if (ms < 0) ctx.addIssue({ code: 'custom', message: 'must not be negative' });
    return Math.round(ms);
  });

/** A string or a list of strings, as a list. */
export const stringList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (typeof v === 'string' ? [v] : v));

export const positiveInt = z
  .int({ error: 'must be a whole number' })
  .positive({ error: 'must be greater than 0' });
export const nonNegativeInt = z
  .int({ error: 'must be a whole number' })
  .nonnegative({ error: 'must be 0 or more' });

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  return String(value);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping (key: value lines)',
  array: 'a list',
};

export interface Problem {
  path: YamlPath;
  message: string;
}

/** Human sentences for zod issues: "must be a whole number (got "10")", "is required", ... */
export function problemsFromZod(error: z.ZodError, input: unknown): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const got = valueAt(input, issue.path);
    switch (issue.code) {
      case 'invalid_type': {
        if (got !== undefined && issue.message.startsWith('must be')) {
          out.push({ path, message: `${issue.message} (got ${describe(got)})` });
        } else if (got === undefined) {
          out.push({ path, message: 'is required' });
        } else {
          const want = TYPE_WORDS[issue.expected] ?? issue.expected;
          out.push({ path, message: `must be ${want} (got ${describe(got)})` });
        }
        break;
      }
      case 'unrecognized_keys': {
        const timeUnit = issue.message.startsWith('unknown time unit');
        for (const key of issue.keys) {
          out.push({
            path: [...path, key],
            message: timeUnit
              ? issue.message.replace('unknown time unit', `unknown time unit "${key}"`)
              : `unknown key "${key}"`,
          });
        }
        break;
      }
      case 'invalid_value':
        out.push({
          path,
          message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${describe(got)})`,
        });
        break;
      case 'invalid_union':
        out.push({
          path,
          message:
            got === undefined
              ? 'is required'
              : `has the wrong form (got ${describe(got)})${issue.message && issue.message !== 'Invalid input' ? `: ${issue.message}` : ''}`,
        });
        break;
      default:
        out.push({ path, message: issue.message.replace(/^Invalid input: /, '') });
    }
  }
  return out;
}

export function formatPath(path: YamlPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** `file:line:column: path what` for one problem ("filter[0] must be ...", "alert_text: no value ..."). */
export function problemLine(source: Pick<YamlSource, 'locate'>, p: Problem): string {
  const loc = source.locate(p.path);
  const where = `${loc.file}:${loc.line ?? 1}${loc.column ? `:${loc.column}` : ''}`;
  const sep = /^(is|must|has|needs|works|can|cannot|should|does)\b/.test(p.message) ? ' ' : ': ';
  return `${where}: ${p.path.length ? `${formatPath(p.path)}${sep}` : ''}${p.message}`;
}

/** One error for all problems of a file: the first names file:line, the rest follow on their own lines. */
export function problemsError(
  code: ErrorCode,
  source: Pick<YamlSource, 'file' | 'locate'>,
  problems: Problem[],
): EsalertError {
  const lines = problems.map((p) => problemLine(source, p));
  const first = problems[0];
  const location = first ? source.locate(first.path) : { file: source.file };
  const err = new EsalertError(code, lines.join('\n'), { fault: 'user' });
  // The message already carries positions; keep the structured location for tools.
  Object.defineProperty(err, 'location', { value: location });
  return err;
}

/** Levenshtein distance, for "did you mean" hints on misspelled option names. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

export function suggest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}
