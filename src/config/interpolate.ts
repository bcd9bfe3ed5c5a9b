/**
 * `${VAR}` interpolation for config and rule files, from the environment.
 *
 * ElastAlert 2 runs os.path.expandvars over the raw file text, so `$VAR` and `${VAR}` are replaced
 * when VAR is set and left alone otherwise. We do the same on string values (not on raw text, so a
 * value can never inject YAML), and add `${VAR:-default}` and `${file:/path}` (the file's content,
 * trimmed: Kubernetes secrets mounted as files).
 */
import { readFileSync } from 'node:fs';
import { EsalertError } from '../errors/esalert-error.ts';

export type EnvLookup = (name: string) => string | undefined;

/** Reads the file of a `${file:...}` reference (rule files get one that checks the path first). */
export type FileReader = (path: string) => string;

const readText: FileReader = (path) => readFileSync(path, 'utf8');

const PATTERN = /\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export interface InterpolationResult {
  value: string;
  /** True when the whole string was one reference (so its value may be re-read as a number/boolean). */
  whole: boolean;
  changed: boolean;
}

export function interpolate(input: string, env: EnvLookup, readFile = readText): InterpolationResult {
  if (!input.includes('$')) return { value: input, whole: false, changed: false };
  let changed = false;
  let whole = false;
  const value = input.replace(
    PATTERN,
    (match: string, braced: string | undefined, bare: string | undefined, offset: number) => {
      const replacement = resolve(braced, bare, env, readFile);
      if (replacement === undefined) return match;
      changed = true;
      if (offset === 0 && match.length === input.length) whole = true;
      return replacement;
    },
  );
  return { value, whole, changed };
}

function resolve(
  braced: string | undefined,
  bare: string | undefined,
  env: EnvLookup,
  readFile: FileReader,
): string | undefined {
  if (bare !== undefined) return env(bare);
  if (braced === undefined) return undefined;
  if (braced.startsWith('file:')) {
    const path = braced.slice(5);
    try {
      return readFile(path).trim();
    } catch (err) {
      if (err instanceof EsalertError) throw err;
      throw new EsalertError('CONFIG_INVALID', `\${file:${path}} cannot be read: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const sep = braced.indexOf(':-');
  if (sep >= 0) {
    const name = braced.slice(0, sep);
    const v = env(name);
    return v === undefined || v === '' ? braced.slice(sep + 2) : v;
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(braced)) return undefined;
  return env(braced);
}
