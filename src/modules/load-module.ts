/**
 * User modules: custom alerters, rule types and match enhancements written in TypeScript or
 * JavaScript and referenced from a rule by path or by an ElastAlert-style dotted name.
 *
 *   alert: ["modules/teams_alerter.ts"]            a file (its default export, or its only export)
 *   alert: ["modules/teams_alerter.ts#TeamsAlerter"] a named export of a file
 *   alert: ["modules.teams_alerter.TeamsAlerter"]   dotted: modules/teams_alerter.{ts,mts,js,mjs}, export TeamsAlerter
 *
 * Relative paths and dotted names are looked up in the directories given (the working directory,
 * then the config file's directory), like ElastAlert 2 which imports from the working directory.
 * Modules load synchronously (Node 22+ can require ES modules and, on Node 24, TypeScript).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cjs'];
const require = createRequire(import.meta.url);

export interface ModuleRef {
  file: string;
  exportName: string | undefined;
}

/** True when a name looks like a module reference rather than a built-in name. */
export function isModuleReference(name: string): boolean {
  return name.includes('/') || name.includes('.') || name.includes('#');
}

export function resolveModule(spec: string, baseDirs: readonly string[]): ModuleRef | undefined {
  const [pathPart, exportName] = spec.split('#', 2) as [string, string | undefined];
  const candidates: { file: string; exportName: string | undefined }[] = [];
  const bases = isAbsolute(pathPart) ? [''] : baseDirs;
  if (pathPart.includes('/') || EXTENSIONS.some((e) => pathPart.endsWith(e))) {
    for (const b of bases) candidates.push({ file: b ? resolve(b, pathPart) : pathPart, exportName });
  } else {
    // dotted: a.b.c.Name -> a/b/c.{ext}, export Name
    const parts = pathPart.split('.');
    const name = parts.pop();
    for (const b of bases)
      for (const ext of EXTENSIONS)
        candidates.push({ file: join(b, ...parts) + ext, exportName: exportName ?? name });
  }
  for (const c of candidates) {
    if (existsSync(c.file)) return c;
    for (const ext of EXTENSIONS) if (existsSync(c.file + ext)) return { ...c, file: c.file + ext };
  }
  return undefined;
}

/**
 * Loads the referenced export; errors say what was looked for where. With `allowed`, the module's
 * file must pass it before it is loaded (the rules layer checks it lies in a modules folder).
 */
export function loadModuleExport(
  spec: string,
  baseDirs: readonly string[],
  what: string,
  allowed?: (file: string) => boolean,
): unknown {
  const ref = resolveModule(spec, baseDirs);
  if (!ref) {
    throw new EsalertError(
      'MODULE_LOAD_FAILED',
      `${what} "${spec}" not found (looked in ${baseDirs.join(', ')})`,
    );
  }
  if (allowed && !allowed(ref.file)) {
    throw new EsalertError(
      'PATH_NOT_ALLOWED',
      `${what} "${spec}" (${ref.file}) is outside the modules folders: modules load from modules/ or elastalert_modules/ in the working directory or beside config.yaml, or from a directory listed in allowed_module_paths (config.yaml)`,
    );
  }
  let mod: Record<string, unknown>;
  try {
    mod = require(ref.file) as Record<string, unknown>;
  } catch (err) {
    throw new EsalertError(
      'MODULE_LOAD_FAILED',
      `${what} "${spec}" (${ref.file}) failed to load: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  if (ref.exportName) {
    if (!(ref.exportName in mod)) {
      throw new EsalertError(
        'MODULE_LOAD_FAILED',
        `${ref.file} has no export "${ref.exportName}" (exports: ${Object.keys(mod).join(', ') || 'none'})`,
      );
    }
    return mod[ref.exportName];
  }
  if ('default' in mod) return mod.default;
  const named = Object.keys(mod).filter((k) => k !== '__esModule');
  if (named.length === 1) return mod[named[0]!];
  throw new EsalertError(
    'MODULE_LOAD_FAILED',
    `${ref.file}: name the export to use, e.g. "${spec}#${named[0] ?? 'Name'}" (exports: ${named.join(', ')})`,
  );
}
