/**
 * `${VAR}` interpolation for config and rule files, from the environment.
 *
 * ElastAlert 2 runs os.path.expandvars over the raw file text, so `$VAR` and `${VAR}` are replaced
 * when VAR is set and left alone otherwise. We replace on string values (not on raw text, so a
 * value can never inject YAML), and refuse a braced reference that nothing can fill: `${VAR}` with
 * VAR unset is reported as unset (a token or signing secret must never go out as its own name).
 * Shell forms: `${VAR:-default}` (the default when VAR is unset or empty), `${VAR:?message}` (an
 * error with the message when VAR is unset or empty), and `${file:/path}` (the file's content,
 * trimmed: Kubernetes secrets mounted as files). A bare `$VAR` that is unset stays as written, as
 * in ElastAlert 2, since `$` also appears in passwords and regular expressions.
 */
import { readFileSync } from 'node:fs';
import { EsalertError } from '../errors/esalert-error.ts';

export type EnvLookup = (name: string) => string | undefined;

const PATTERN = /\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A `${VAR}` (or `${VAR:?message}`) whose variable is not set. */
export interface UnsetVariable {
  name: string;
  /** As written after `:?`. */
  message?: string;
}

export interface InterpolationResult {
  value: string;
  /** True when the whole string was one reference (so its value may be re-read as a number/boolean). */
  whole: boolean;
  changed: boolean;
  /** References nothing could fill; left as written in `value`. */
  unset: UnsetVariable[];
}

type Resolved = { value: string } | { unset: UnsetVariable } | undefined;

export function interpolate(input: string, env: EnvLookup): InterpolationResult {
  const unset: UnsetVariable[] = [];
  if (!input.includes('$')) return { value: input, whole: false, changed: false, unset };
  let changed = false;
  let whole = false;
  const value = input.replace(
    PATTERN,
    (match: string, braced: string | undefined, bare: string | undefined, offset: number) => {
      const r = resolve(braced, bare, env);
      if (r === undefined) return match;
      if ('unset' in r) {
        unset.push(r.unset);
        return match;
      }
      changed = true;
      if (offset === 0 && match.length === input.length) whole = true;
      return r.value;
    },
  );
  return { value, whole, changed, unset };
}

/** How an unset variable is reported: what to set, or how to give a default. */
export function describeUnset(u: UnsetVariable): string {
  return u.message !== undefined
    ? `environment variable ${u.name} is not set: ${u.message || `\${${u.name}:?} requires it`}`
    : `environment variable ${u.name} is not set: set it, or give a default with \${${u.name}:-default}`;
}

function resolve(braced: string | undefined, bare: string | undefined, env: EnvLookup): Resolved {
  if (bare !== undefined) {
    const v = env(bare);
    return v === undefined ? undefined : { value: v };
  }
  if (braced === undefined) return undefined;
  if (braced.startsWith('file:')) {
    const path = braced.slice(5);
    try {
      return { value: readFileSync(path, 'utf8').trim() };
    } catch (err) {
      throw new EsalertError('CONFIG_INVALID', `\${file:${path}} cannot be read: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const operator = /^([A-Za-z_][A-Za-z0-9_]*):([-?])(.*)$/s.exec(braced);
  if (operator) {
    const [, name, op, word] = operator as unknown as [string, string, '-' | '?', string];
    const v = env(name);
    if (v !== undefined && v !== '') return { value: v };
    return op === '-' ? { value: word } : { unset: { name, message: word } };
  }
  if (!NAME.test(braced)) return undefined;
  const v = env(braced);
  return v === undefined ? { unset: { name: braced } } : { value: v };
}
