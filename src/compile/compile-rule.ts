/**
 * Compiling a rule: its definition (src/rules/) resolved against the registries. The rule type
 * is looked up (built in, or a user module) and its options checked, the alerters are built with
 * their options checked, match enhancements are found, and the common options are normalized,
 * with what the rule type adds (its timeframe, its filters). All problems of a file are reported
 * together, each with file:line and what to fix.
 */
import type { Logger } from 'pino';
import {
  type AlerterDefinition,
  type Alerter,
  type AlerterDeps,
  OptionProblem,
} from '../alerters/alerter.ts';
import { misconfiguredAlerter } from '../alerters/misconfigured.ts';
import { credentialReferences, resolveRuleReferences } from '../alerters/options.ts';
import type { AlerterCatalog } from '../alerters/registry.ts';
import { ES_CONNECTION_KEYS, type EsConnectionKeys } from '../config/es-connection.ts';
import { type Problem, problemLine, problemsError, problemsFromZod, suggest } from '../config/fields.ts';
import type { GlobalConfig } from '../config/global-config.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { isInside, moduleFolders } from '../config/rule-access.ts';
import type { YamlPath } from '../config/yaml-source.ts';
import type { Enhancement } from '../enhancements/enhancement.ts';
import { isResyncNoop, RESYNC_FIELDS, resyncNoopExclusion } from '../k8s/event-filters.ts';
import { hitSourceFields } from './hit-fields.ts';
import type { SourceLocation } from '../errors/esalert-error.ts';
import type { Doc } from '../model/lookup.ts';
import type { RuleOptions } from '../model/rule-options.ts';
import { findAlerterModule, findEnhancement, findRuleType } from '../modules/catalog.ts';
import { readDiscoverOptions } from '../rules/discover-options.ts';
import { readResolveOptions } from '../rules/resolve-options.ts';
import { readRelatedLogsOptions } from '../rules/related-logs-options.ts';
import { ignoredOptions, knownRuleOptions } from '../rules/ignored-options.ts';
import { type ReadRule, type RuleDefinition, readRuleFile } from '../rules/load-rule.ts';
import { toRuleOptions } from '../rules/rule-options.ts';
import type { RuleTypeDefinition } from '../ruletypes/rule-type.ts';
import type { CompiledRule } from './compiled-rule.ts';

/** The registries a rule is compiled against. */
export interface RuleCatalogs {
  ruleTypes: ReadonlyMap<string, RuleTypeDefinition<never>>;
  alerters: AlerterCatalog;
  /** Where user modules (custom rule types, alerters, enhancements) are looked up. */
  moduleDirs: readonly string[];
}

export interface RuleLoadContext {
  global: GlobalConfig;
  env: EnvLookup;
  catalogs: RuleCatalogs;
  logger: Logger;
}

/** Reads and compiles one rule file. */
export function loadRuleFile(file: string, ctx: RuleLoadContext): CompiledRule {
  return compileRule(readRuleFile(file, ctx), ctx);
}

/** Names users guess for an option, where spelling distance would not find it. */
const GUESSED_NAMES: Readonly<Record<string, string>> = {
  dingtalk_secret: 'dingtalk_sign',
  dingtalk_token: 'dingtalk_access_token',
};

/**
 * The rule file's keys that no option of this rule takes. A guessed name counts as unknown
 * unless one of the rule's own alerters reads it (`dingtalk_secret` is a DingTalk plugin's
 * option, which the built-in `dingtalk` alerter would ignore).
 */
function ignoredKeys(
  def: ReadRule['definition'],
  known: ReadonlySet<string>,
  alerters: readonly AlerterDefinition[],
  /** Options of other rule types (num_events on an any rule): ElastAlert 2 ignores them too. */
  elsewhere: ReadonlyMap<string, string[]> = new Map(),
): ReturnType<typeof ignoredOptions> {
  // options an alerter of this rule reads by prefix (its own option family)
  const byPrefix = (key: string) => alerters.some((d) => d.optionPrefixes?.some((p) => key.startsWith(p)));
  const ignored = ignoredOptions(
    def.ownKeys.filter((key) => !byPrefix(key) && !elsewhere.has(key)),
    known,
  );
  for (const key of def.ownKeys)
    if (
      GUESSED_NAMES[key] &&
      !ignored.unknown.includes(key) &&
      !alerters.some((d) => d.optionNames.includes(key))
    )
      ignored.unknown.push(key);
  return ignored;
}

const hintFor = (key: string, known: ReadonlySet<string>) => GUESSED_NAMES[key] ?? suggest(key, known);

/**
 * Problems with the hints a misspelled key gives kept: "timeframe is required" points at the
 * line of `timefame:` and says so; other misspelled keys are listed with their suggestion.
 */
function withHints(problems: Problem[], misspelled: { key: string; hint: string | undefined }[]): Problem[] {
  const hinted = misspelled.filter((m): m is { key: string; hint: string } => m.hint !== undefined);
  const used = new Set<string>();
  const out = problems.map((p) => {
    const m = p.path.length === 1 ? hinted.find((h) => h.hint === p.path[0]) : undefined;
    if (!m || !/^is required\b/.test(p.message)) return p;
    used.add(m.key);
    return { path: [m.key], message: `is not an option; did you mean "${m.hint}"? (${m.hint} ${p.message})` };
  });
  for (const m of hinted)
    if (!used.has(m.key)) out.push({ path: [m.key], message: `is not an option; did you mean "${m.hint}"?` });
  return out;
}

export function compileRule(read: ReadRule, ctx: RuleLoadContext): CompiledRule {
  const def = read.definition;
  const { raw, common: c } = def;
  const fileLike = { file: def.file, locate: def.locate };
  const problems: Problem[] = [];
  const access = ctx.global.access;

  // user modules load only from the modules folders and allowed_module_paths (docs/security.md)
  const moduleRoots = moduleFolders(ctx.catalogs.moduleDirs, access);
  const modules = {
    dirs: ctx.catalogs.moduleDirs,
    roots: moduleRoots,
    allowed: (f: string) => isInside(f, moduleRoots),
  };
  const foundType = findRuleType(c.type, ctx.catalogs.ruleTypes, modules);
  if (foundType && 'error' in foundType)
    throw problemsError('RULE_INVALID', fileLike, [{ path: ['type'], message: foundType.error }]);
  const type = foundType?.def;
  if (!type) {
    const hint = suggest(c.type, ctx.catalogs.ruleTypes.keys());
    problems.push({
      path: ['type'],
      message: `unknown rule type "${c.type}"${hint ? `; did you mean "${hint}"?` : `; available: ${[...ctx.catalogs.ruleTypes.keys()].join(', ')}`}`,
    });
    throw problemsError('RULE_INVALID', fileLike, problems);
  }
  // option names the rule may use (enhancements add theirs once found)
  const enhancementOptions: string[] = [];
  const knownNames = () =>
    enhancementOptions.length
      ? knownRuleOptions(type.optionNames, ctx.catalogs.alerters.optionNames(), enhancementOptions)
      : knownWithoutEnhancements(type, ctx.catalogs.alerters);
  const fail = () => {
    const known = knownNames();
    const elsewhere = otherTypesOptions(
      def.ownKeys.filter((key) => !known.has(key)),
      ctx.catalogs.ruleTypes,
    );
    const { unknown } = ignoredKeys(def, known, [...alerterDefs.values()], elsewhere);
    const misspelled = unknown.map((key) => ({ key, hint: hintFor(key, known) }));
    return problemsError('RULE_INVALID', fileLike, withHints(problems, misspelled));
  };
  const typeParsed = type.options.safeParse(raw);
  if (!typeParsed.success) problems.push(...problemsFromZod(typeParsed.error, raw));
  const typeOptions = typeParsed.success ? typeParsed.data : undefined;

  if (c.use_count_query && !type.supportsCountQuery)
    problems.push({ path: ['use_count_query'], message: `is not supported by the ${type.name} rule type` });
  if (c.use_terms_query && !type.supportsTermsQuery)
    problems.push({ path: ['use_terms_query'], message: `is not supported by the ${type.name} rule type` });
  if (c.use_terms_query && !c.query_key)
    problems.push({
      path: ['use_terms_query'],
      message: 'needs query_key (the field whose values are counted)',
    });
  // Checks that cannot stop the rule from running: ElastAlert 2 loads such a rule too
  const notes: Problem[] = [];
  if (Array.isArray(c.query_key) && c.query_key.length > 1 && c.use_terms_query) {
    notes.push({
      path: ['query_key'],
      message:
        'has several fields, but use_terms_query counts one field: ElastAlert 2 (and esalert) count the field named by all of them joined with ",", which never exists, so the rule never alerts',
    });
  }
  const discover = readDiscoverOptions(raw, ctx.env);
  problems.push(...discover.problems);
  const resolve = readResolveOptions(raw);
  problems.push(...resolve.problems);
  const relatedLogs = readRelatedLogsOptions(raw);
  problems.push(...relatedLogs.problems);
  // ElastAlert 2 reads `timeframe` for every rule type (scan_entire_timeframe, top_count_keys)
  const timeframeMs = (typeOptions as { timeframe?: number } | undefined)?.timeframe ?? c.timeframe;
  if (c.scan_entire_timeframe && !timeframeMs)
    problems.push({
      path: ['scan_entire_timeframe'],
      message: 'needs a timeframe (e.g. timeframe: {minutes: 10}): the window to scan',
    });
  problems.push(...read.problems);

  const filters = [...def.filters];
  if (type.extraFilters && typeOptions !== undefined)
    filters.push(...type.extraFilters(typeOptions as never, raw));
  filters.push(...def.k8sFilters);

  const alerterDefs = new Map<string, AlerterDefinition>();
  /** Where the rule names the command alerter, if it does. */
  let commandAt: YamlPath | undefined;
  for (const [i, spec] of (typeof c.alert === 'string' ? [c.alert] : c.alert).entries()) {
    const name = typeof spec === 'string' ? spec : Object.keys(spec)[0];
    const at: YamlPath = typeof c.alert === 'string' ? ['alert'] : ['alert', i];
    const builtin = name ? ctx.catalogs.alerters.get(name) : undefined;
    const mod = name && !builtin ? findAlerterModule(name, modules) : undefined;
    // the command alerter runs programs on the esalert host: refused when config.yaml forbids it
    if (builtin?.name === 'command') commandAt ??= at;
    if (builtin?.name === 'command' && !access.commandAlerter)
      problems.push({
        path: at,
        message: `the command alerter runs programs on the esalert host, with its environment, and config.yaml forbids it (allow_command_alerter: false${configLine(ctx.global)}); use an HTTP alerter such as post2, or ask the operators (docs/security.md)`,
      });
    else if (builtin) alerterDefs.set(name!, builtin);
    else if (mod && 'def' in mod) alerterDefs.set(name!, mod.def);
    else if (mod) problems.push({ path: ['alert'], message: mod.error });
    else {
      const hint = name ? suggest(name, ctx.catalogs.alerters.names()) : undefined;
      problems.push({
        path: ['alert'],
        message: `unknown alerter "${name ?? ''}"${hint ? `; did you mean "${hint}"?` : `; available: ${ctx.catalogs.alerters.names().join(', ')}`}`,
      });
    }
  }

  const enhancements: Enhancement[] = [];
  c.match_enhancements.forEach((name, i) => {
    const found = findEnhancement(name, modules);
    if (found && 'def' in found) enhancements.push(found.def);
    else
      problems.push({
        path: ['match_enhancements', i],
        message:
          found?.error ??
          `unknown enhancement "${name}" (a module path such as modules/my_enhancement.ts, or TimeEnhancement)`,
      });
  });
  // an enhancement that declares its options has them checked now, not when a match comes
  for (const e of enhancements) {
    const parsed = e.options?.safeParse(raw);
    if (parsed && !parsed.success) problems.push(...problemsFromZod(parsed.error, raw));
  }

  enhancementOptions.push(...enhancements.flatMap((e) => e.optionNames ?? []));
  if (problems.length > 0) throw fail();
  const options = toRuleOptions(
    { ...c, filter: filters },
    defaultsOf(ctx.global),
    timeframeMs,
    // include_rule_params_in_matches sees the rule's final filters
    { ...raw, filter: filters },
  );
  const hitFilter = c.k8s_skip_resync
    ? skipResyncNoops(options, c.k8s_keyword_suffix, type, typeOptions)
    : undefined;
  const hitFields = hitSourceFields(
    options,
    type.hitFields && typeOptions !== undefined ? type.hitFields(typeOptions as never) : undefined,
    hitFilter ? RESYNC_FIELDS : [],
  );

  const alerters: Alerter[] = [];
  const alerterWarnings: Problem[] = [];
  options.alerts.forEach((spec, i) => {
    const alerterDef = alerterDefs.get(spec.name)!;
    const inline = Object.keys(spec.options).length > 0;
    const alerterOptions = resolveRuleReferences({ ...raw, ...spec.options }, raw);
    try {
      alerters.push(alerterDef.create(alerterOptions, alerterDeps(ctx, def, alerterDef.name)));
    } catch (caught) {
      // custom modules may throw any error carrying `option`
      const err =
        caught instanceof OptionProblem
          ? caught
          : caught instanceof Error && typeof (caught as { option?: unknown }).option === 'string'
            ? new OptionProblem((caught as unknown as { option: string }).option, caught.message)
            : undefined;
      if (!err) throw caught;
      // point at the option where it is written, else at the alerter that needs it
      const written = inline && err.option in spec.options;
      const path: YamlPath = written
        ? ['alert', i, spec.name, err.option]
        : err.option in raw
          ? [err.option]
          : ['alert', i];
      const message =
        path.length === 2
          ? `${spec.name} alerter: ${err.option} ${err.message}`
          : `${err.message} (${alerterDef.name} alerter)`;
      // ElastAlert 2 refuses a rule only when a required option is missing, and fails at send
      // time on a value that cannot work: such a rule loads, and this alerter reports every alert
      // as failed, saying what to fix
      // (what a rule may not reach is refused all the same)
      if (isGiven(alerterOptions, err.option) && !err.denied) {
        alerterWarnings.push({ path, message: `${message}; ${MISCONFIGURED}` });
        alerters.push(
          misconfiguredAlerter(alerterDef.name, `${err.option} ${err.message} (${alerterDef.name} alerter)`),
        );
      } else problems.push({ path, message });
    }
  });
  if (problems.length > 0) throw fail();

  const warnings: string[] = discover.warnings.map((w) => {
    const loc = def.locate(w.path);
    return `${loc.file}:${loc.line ?? 1}: ${String(w.path[0])} ${w.message}`;
  });
  if (commandAt) {
    const loc = def.locate(commandAt);
    warnings.push(
      `${loc.file}:${loc.line ?? 1}: alert command runs programs on the esalert host with its environment (code execution: whoever may edit this rule can run anything esalert can and read its credentials); set allow_command_alerter: false in config.yaml to forbid it (docs/security.md)`,
    );
  }
  const refs = new Set(
    options.alerts.flatMap((spec) => credentialReferences({ ...raw, ...spec.options }, raw)),
  );
  for (const name of refs) {
    const loc = def.locate([name]);
    warnings.push(
      `${loc.file}:${loc.line ?? 1}: "$${name}$" is left as written: ${name} holds a credential or connection setting, which other options cannot reference; write the value (or \${VAR}) where it is needed`,
    );
  }
  for (const note of [...notes, ...alerterWarnings]) warnings.push(problemLine(fileLike, note));
  const known = knownNames();
  // options of other rule types (num_events on an any rule): ElastAlert 2 ignores them too
  const elsewhere = otherTypesOptions(
    def.ownKeys.filter((key) => !known.has(key)),
    ctx.catalogs.ruleTypes,
  );
  const ignored = ignoredKeys(def, known, [...alerterDefs.values()], elsewhere);
  // the parsed YAML stays behind: the locations of the rule's keys and list items are read once,
  // for these warnings and for whatever asks once the rule runs
  const locate = keptLocations(def);
  for (const key of def.ownKeys) {
    const loc = locate([key]);
    const where = `${loc.file}:${loc.line ?? 1}`;
    const owners = elsewhere.get(key);
    if (owners)
      warnings.push(
        `${where}: option "${key}" is read by ${owners.join(', ')} rules; a rule of type ${type.name} ignores it, as in ElastAlert 2`,
      );
    else if (ignored.unsupported.includes(key))
      warnings.push(`${where}: option "${key}" is not supported by esalert yet and is ignored`);
    else if (ignored.unknown.includes(key)) {
      const hint = hintFor(key, known);
      warnings.push(`${where}: unknown option "${key}" is ignored${hint ? `; did you mean "${hint}"?` : ''}`);
    }
  }
  warnings.push(...def.warnings);

  def.locate = locate;
  // the mapping as alert texts, alerters at send time and enhancements see it: the final filters
  const mapping: Doc = { ...raw, filter: options.filters };
  return {
    definition: def,
    name: def.name,
    file: def.file,
    files: def.files,
    hash: def.hash,
    options,
    type,
    typeOptions,
    alerters,
    alertOptions: options.alerts.map((spec) => {
      const merged = { ...mapping, ...spec.options };
      return resolveRuleReferences(merged, merged);
    }),
    enhancements,
    ...(discover.settings.kibana || discover.settings.opensearch ? { discover: discover.settings } : {}),
    ...(resolve.settings ? { resolve: resolve.settings } : {}),
    ...(relatedLogs.settings ? { relatedLogs: relatedLogs.settings } : {}),
    enhancementContext: {
      rule: {
        name: def.name,
        timestampField: options.timestampField,
        timezone: options.timezone,
        options: mapping,
      },
    },
    jinjaTemplate: def.jinjaTemplate,
    ...(hitFilter ? { hitFilter } : {}),
    ...(hitFields ? { hitFields } : {}),
    connection: connectionKeys(raw),
    warnings,
    ignoredOptions: ignored,
    locate,
  };
}

/** The option names of a rule type with every alerter's, made once per type and catalog (thousands of rules share them). */
const knownByCatalog = new WeakMap<AlerterCatalog, WeakMap<object, ReadonlySet<string>>>();
function knownWithoutEnhancements(
  type: RuleTypeDefinition<never>,
  alerters: AlerterCatalog,
): ReadonlySet<string> {
  let byType = knownByCatalog.get(alerters);
  if (!byType) knownByCatalog.set(alerters, (byType = new WeakMap()));
  let known = byType.get(type);
  if (!known) byType.set(type, (known = knownRuleOptions(type.optionNames, alerters.optionNames())));
  return known;
}

/** The rule types, other than the rule's own, that read each of `keys`. */
function otherTypesOptions(
  keys: readonly string[],
  ruleTypes: RuleCatalogs['ruleTypes'],
): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const key of keys) {
    const names = [...ruleTypes.values()].filter((t) => t.optionNames.includes(key)).map((t) => t.name);
    if (names.length) owners.set(key, [...new Set(names)].sort());
  }
  return owners;
}

const MISCONFIGURED = 'the rule loads, and alerts to this alerter fail until the option is fixed';

/** Whether the rule writes the option at all, as ElastAlert 2's required-options check asks (an empty value counts). */
function isGiven(options: Doc, option: string): boolean {
  return option !== '' && Object.hasOwn(options, option);
}

function connectionKeys(raw: Doc): EsConnectionKeys {
  const keys: Record<string, unknown> = {};
  for (const k of ES_CONNECTION_KEYS) if (raw[k] !== undefined) keys[k] = raw[k];
  return keys as EsConnectionKeys;
}

/**
 * k8s_skip_resync: a rule that reads hits drops eventrouter's resync no-ops as they are read (no
 * script needed; with `include`, the fields compared are fetched too); a rule that counts in
 * Elasticsearch (count, terms, aggregation types) gets the painless clause in its filters.
 */
function skipResyncNoops(
  options: RuleOptions,
  keywordSuffix: string,
  type: RuleTypeDefinition<never>,
  typeOptions: unknown,
): ((doc: Doc) => boolean) | undefined {
  // Aggregation types say so on their instance; creating one is pure and cheap.
  const aggregates = (): boolean =>
    type.create(
      {
        timestampField: options.timestampField,
        queryKey: options.queryKey,
        timezone: options.timezone,
        prettyFormat: options.prettyFormat,
        compat: { spikeOnZero: options.compatSpikeOnZero },
      },
      typeOptions as never,
    ).aggregationQuery !== undefined;
  if (options.useCountQuery || options.useTermsQuery || aggregates()) {
    options.filters.push(resyncNoopExclusion(keywordSuffix));
    return undefined;
  }
  if (options.include) options.include = [...new Set([...options.include, ...RESYNC_FIELDS])];
  return (doc) => !isResyncNoop(doc);
}

/** Where config.yaml says allow_command_alerter, for the error that cites it. */
function configLine(g: GlobalConfig): string {
  return g.file ? ` in ${g.file}` : '';
}

function defaultsOf(g: GlobalConfig) {
  return {
    bufferTimeMs: g.bufferTimeMs,
    runEveryMs: g.runEveryMs,
    maxQuerySize: g.maxQuerySize,
    maxScrollingCount: g.maxScrollingCount,
    timezone: g.timezone,
  };
}

/**
 * What an alerter is given. Built here rather than inside compileRule: a function made there
 * would keep everything compileRule holds (the parsed file among it) for as long as the rule runs.
 */
function alerterDeps(ctx: RuleLoadContext, def: RuleDefinition, alerter: string): AlerterDeps {
  const { access } = ctx.global;
  const env = ctx.env;
  return {
    logger: ctx.logger.child({ rule: def.name, alerter }),
    ruleDir: def.dir,
    fileRoots: access.fileRoots,
    ruleFile: def.files[0]!,
    // what rule files may read of the environment (rule_env_vars): not ES_* nor config.yaml's
    env: (name) => (access.envAllowed(name) ? env(name) : undefined),
  };
}

/**
 * The locations a loaded rule may still be asked for (its own keys, `name` and the items of its
 * lists, such as each filter, which may come from an imported file), read once, so that the parsed
 * YAML document (tens of KB a rule) is freed. A deeper path resolves to the nearest of these.
 */
function keptLocations(def: RuleDefinition): (path: YamlPath) => SourceLocation {
  const at = new Map<string, SourceLocation>();
  for (const key of new Set([...def.ownKeys, 'name'])) {
    at.set(key, def.locate([key]));
    const value = def.raw[key];
    if (Array.isArray(value))
      for (let i = 0; i < Math.min(value.length, 100); i++) at.set(`${key}\u0000${i}`, def.locate([key, i]));
  }
  const whole = def.locate([]);
  return (path) =>
    (path.length > 1 ? at.get(`${String(path[0])}\u0000${String(path[1])}`) : undefined) ??
    (path.length ? at.get(String(path[0])) : undefined) ??
    whole;
}
