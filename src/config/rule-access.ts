/**
 * What a rule file may reach outside itself (docs/security.md). Rule files are often edited by more
 * people than may read the Elasticsearch password, so:
 * - files a rule names (import, jinja_template_path, `${file:...}`, smtp_auth_file, certificates,
 *   email images) must lie inside the rules folders, the rule's own directory, or a directory
 *   listed in config.yaml's allowed_file_paths;
 * - code a rule names (custom alerters, rule types, enhancements) must lie inside a modules folder
 *   (`modules/` or `elastalert_modules/` in the working directory or beside config.yaml) or a
 *   directory listed in allowed_module_paths;
 * - `${VAR}` in a rule file reads only variables rule_env_vars allows; by default every variable
 *   except Elasticsearch's (ES_*) and the ones config.yaml itself reads;
 * - the command alerter (programs on the esalert host, with its environment) is allowed, as in
 *   ElastAlert 2, unless allow_command_alerter is false.
 * Symbolic links are followed before the check, so a link cannot point out of an allowed folder.
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { EsalertError } from '../errors/esalert-error.ts';
import type { EnvLookup } from './interpolate.ts';

export interface RuleAccess {
  /** Directories whose files rules may read (besides the rule's own directory). */
  fileRoots: readonly string[];
  /** Directories from allowed_module_paths (see moduleFolders for all of them). */
  moduleRoots: readonly string[];
  /** Whether rule files may read environment variable `name`. */
  envAllowed(name: string): boolean;
  /** Whether rules may use the command alerter (allow_command_alerter). */
  commandAlerter: boolean;
}

/** The real path of `path`, or of its nearest existing ancestor joined with the rest. */
function realish(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(realish(parent), abs.slice(parent.length));
  }
}

/** True when `path` (links followed) is `root` or below one of the roots. */
export function isInside(path: string, roots: readonly string[]): boolean {
  const real = realish(path);
  return roots.some((r) => {
    const root = realish(r);
    return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
  });
}

/**
 * The path a rule option names (relative to the rule's directory), when it is allowed; a
 * PATH_NOT_ALLOWED error saying how to allow it otherwise.
 */
export function ruleFilePath(what: string, path: string, ruleDir: string, roots: readonly string[]): string {
  const full = isAbsolute(path) ? path : join(ruleDir, path);
  if (isInside(full, [ruleDir, ...roots])) return full;
  throw new EsalertError(
    'PATH_NOT_ALLOWED',
    `${what ? `${what} ` : ''}${path} is outside the rules folders; rules may read files only there, in their own directory, or in a directory listed in allowed_file_paths (config.yaml)`,
  );
}

const CONNECTION_VARIABLE = /^ES_/;

/** A name pattern of rule_env_vars: exact, or a `*` wildcard (DINGTALK_*). */
function namePattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export interface RuleAccessSettings {
  rulesFolders: readonly string[];
  /** Absolute directories from allowed_file_paths. */
  allowedFilePaths?: readonly string[];
  /** Absolute directories from allowed_module_paths. */
  allowedModulePaths?: readonly string[];
  /** rule_env_vars: names or patterns; undefined for the default. */
  ruleEnvVars?: readonly string[];
  /** Variables config.yaml reads (never readable by rules unless rule_env_vars names them). */
  configVariables?: ReadonlySet<string>;
  /** allow_command_alerter (default true, as ElastAlert 2 allows it). */
  allowCommandAlerter?: boolean;
}

export function createRuleAccess(s: RuleAccessSettings): RuleAccess {
  const patterns = s.ruleEnvVars?.map(namePattern);
  const configVariables = s.configVariables ?? new Set<string>();
  return {
    fileRoots: [...s.rulesFolders, ...(s.allowedFilePaths ?? [])],
    moduleRoots: [...(s.allowedModulePaths ?? [])],
    envAllowed: (name) =>
      patterns
        ? patterns.some((p) => p.test(name))
        : !CONNECTION_VARIABLE.test(name) && !configVariables.has(name),
    commandAlerter: s.allowCommandAlerter ?? true,
  };
}

/**
 * The folders user modules may be loaded from: modules/ and elastalert_modules/ in each directory
 * modules are looked up in (the working directory, config.yaml's), and allowed_module_paths.
 */
export function moduleFolders(
  lookupDirs: readonly string[],
  access: Pick<RuleAccess, 'moduleRoots'>,
): string[] {
  return [
    ...lookupDirs.flatMap((d) => [join(d, 'modules'), join(d, 'elastalert_modules')]),
    ...access.moduleRoots,
  ];
}

/** The environment as a rule file sees it: a variable it may not read is an error naming the setting. */
export function ruleEnv(env: EnvLookup, access: Pick<RuleAccess, 'envAllowed'>, file: string): EnvLookup {
  return (name) => {
    if (access.envAllowed(name)) return env(name);
    if (env(name) === undefined) return undefined;
    throw new EsalertError(
      'PATH_NOT_ALLOWED',
      `${file}: rules may not read the environment variable ${name} (it is Elasticsearch's, or config.yaml reads it); name it in rule_env_vars (config.yaml) to allow it`,
    );
  };
}
