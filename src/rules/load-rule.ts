/**
 * One rule file -> a validated rule: YAML with positions, `import` inheritance (ElastAlert 2's
 * order: the rule's own keys win, later imports over earlier ones, filters ANDed), config.yaml
 * defaults, the common options, the rule type's options and every query_string, all checked at
 * load time. All problems of a file are reported together, each with file:line and what to fix.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { type Problem, problemsError, problemsFromZod, suggest } from '../config/fields.ts';
import type { GlobalConfig } from '../config/global-config.ts';
import { GLOBAL_ONLY_KEYS } from '../config/global-config.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { readYamlFile, type YamlPath, type YamlSource } from '../config/yaml-source.ts';
import { EsalertError, errorMessage, type SourceLocation } from '../errors/esalert-error.ts';
import { checkTemplate } from '../format/jinja.ts';
import { pythonFormat } from '../format/python-format.ts';
import { findQueryStrings, normalizeFilters, queryStringProblem } from '../query/filters.ts';
import { isResyncNoop, k8sEventFilters, RESYNC_FIELDS, resyncNoopExclusion } from '../k8s/event-filters.ts';
import type { Logger } from 'pino';
import { type Alerter, type AlerterDefinition, OptionProblem } from '../alerters/alerter.ts';
import type { AlerterCatalog } from '../alerters/registry.ts';
import { resolveRuleReferences } from '../alerters/options.ts';
import type { Enhancement } from '../enhancements/enhancement.ts';
import { findAlerterModule, findEnhancement, findRuleType } from '../modules/catalog.ts';
import type { RuleTypeDefinition } from '../ruletypes/rule-type.ts';
import type { Doc } from '../model/lookup.ts';
import { ELASTALERT_OPTION_NAMES } from './elastalert-options.ts';
import { COMMON_RULE_OPTIONS, commonRuleSchema, type RuleOptions, toRuleOptions } from './rule-options.ts';

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

export interface Rule {
  name: string;
  /** The rule file as found (relative to the working directory when below it). */
  file: string;
  /** The rule file and every file it imports. */
  files: string[];
  /** Content hash of `files`: a change means the rule must be reloaded. */
  hash: string;
  /** The merged mapping (rule over imports over config.yaml), as alerters read options. */
  raw: Doc;
  options: RuleOptions;
  type: RuleTypeDefinition<never>;
  typeOptions: unknown;
  /** The rule's alert channels, built (and their options checked) at load. */
  alerters: Alerter[];
  /** match_enhancements, in order. */
  enhancements: Enhancement[];
  /** The Jinja template of alert_text (or jinja_template_path) when alert_text_type is alert_text_jinja. */
  jinjaTemplate: string | undefined;
  /**
   * Which hits the rule type gets, when some must be dropped after reading them because
   * Elasticsearch cannot select them without a script (k8s_skip_resync on a rule that reads hits).
   */
  hitFilter?: (doc: Doc) => boolean;
  warnings: string[];
  locate(path: YamlPath): SourceLocation;
}

export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

interface Merged {
  value: Doc;
  /** Which file each top-level key came from. */
  origin: Map<string, YamlSource>;
  /** For merged filters: which file and index each filter item came from. */
  filterOrigin: { source: YamlSource; index: number }[];
  files: string[];
}

function readRuleYaml(file: string, env: EnvLookup): YamlSource {
  const source = readYamlFile(file, { env, errorCode: 'RULE_INVALID' });
  if (source.value === null || typeof source.value !== 'object' || Array.isArray(source.value)) {
    throw new EsalertError('RULE_INVALID', 'a rule file must be a mapping of options (key: value lines)', {
      location: { file, line: 1 },
    });
  }
  return source;
}

function mergeImports(file: string, env: EnvLookup): Merged {
  const merged: Merged = { value: {}, origin: new Map(), filterOrigin: [], files: [] };
  const stack: string[] = [];
  const seen = new Set<string>();
  let current = file;
  for (;;) {
    if (seen.has(current))
      throw new EsalertError(
        'RULE_IMPORT_FAILED',
        `import cycle: ${displayPath(current)} is imported twice`,
        { location: { file } },
      );
    seen.add(current);
    let source: YamlSource;
    try {
      source = readRuleYaml(current, env);
    } catch (err) {
      if (current !== file && (err as EsalertError).code === 'CONFIG_NOT_FOUND') {
        throw new EsalertError('RULE_IMPORT_FAILED', `imported file ${displayPath(current)} does not exist`, {
          location: merged.origin.get('import')?.locate(['import']) ?? { file },
        });
      }
      throw err;
    }
    merged.files.push(current);
    const loaded = source.value as Doc;
    const ownFilter = merged.value.filter;
    if (Array.isArray(loaded.filter) && Array.isArray(ownFilter)) {
      // imported filters come first; all are ANDed
      merged.value.filter = [...loaded.filter, ...ownFilter];
      merged.filterOrigin = [...loaded.filter.map((_, index) => ({ source, index })), ...merged.filterOrigin];
    } else if (Array.isArray(loaded.filter) && !('filter' in merged.value)) {
      merged.filterOrigin = loaded.filter.map((_, index) => ({ source, index }));
    }
    for (const [k, v] of Object.entries(loaded)) {
      if (k in merged.value) continue;
      merged.value[k] = v;
      merged.origin.set(k, source);
    }
    if ('import' in merged.value) {
      const imports = merged.value.import;
      const list = typeof imports === 'string' ? [imports] : Array.isArray(imports) ? imports : [];
      if (list.length === 0 || list.some((i) => typeof i !== 'string')) {
        throw new EsalertError('RULE_INVALID', 'import must be a file name or a list of file names', {
          location: (merged.origin.get('import') ?? source).locate(['import']),
        });
      }
      delete merged.value.import;
      // Relative imports are relative to the rule file's directory, as in ElastAlert 2.
      for (const i of list as string[]) stack.push(isAbsolute(i) ? i : join(dirname(file), i));
    }
    const next = stack.pop();
    if (next === undefined) break;
    current = next;
  }
  return merged;
}

/** SHA-1 over the contents of files (a missing one counts as "ENOENT <path>"): a rule and its imports. */
export function hashFiles(files: readonly string[]): string {
  const h = createHash('sha1');
  for (const f of files) {
    try {
      h.update(readFileSync(f));
    } catch {
      h.update(`ENOENT ${f}`);
    }
  }
  return h.digest('hex');
}

export function loadRuleFile(file: string, ctx: RuleLoadContext): Rule {
  const shown = displayPath(file);
  const merged = mergeImports(file, ctx.env);
  const own = new Set(merged.value ? Object.keys(merged.value) : []);
  const ruleSource = merged.origin.values().next().value as YamlSource | undefined;
  const globalFile = ctx.global.file;

  // config.yaml keys are defaults for every rule
  const raw: Doc = { ...merged.value };
  for (const [k, v] of Object.entries(ctx.global.raw)) if (!(k in raw)) raw[k] = v;
  if (raw.name === undefined) raw.name = shown.replace(/\.ya?ml$/, '');

  const locate = (path: YamlPath): SourceLocation => {
    const key = path[0];
    if (key === 'filter' && typeof path[1] === 'number' && merged.filterOrigin[path[1]]) {
      const o = merged.filterOrigin[path[1]]!;
      return o.source.locate(['filter', o.index, ...path.slice(2)]);
    }
    const source = typeof key === 'string' ? merged.origin.get(key) : undefined;
    if (source) return source.locate(path);
    if (typeof key === 'string' && !own.has(key) && globalFile && key in ctx.global.raw)
      return { file: globalFile };
    return ruleSource?.locate([]) ?? { file: shown, line: 1 };
  };
  const fileLike = { file: shown, locate };
  const problems: Problem[] = [];

  const common = commonRuleSchema.safeParse(raw);
  if (!common.success) throw problemsError('RULE_INVALID', fileLike, problemsFromZod(common.error, raw));
  const c = common.data;

  const foundType = findRuleType(c.type, ctx.catalogs.ruleTypes, ctx.catalogs.moduleDirs);
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
  if (Array.isArray(c.query_key) && c.query_key.length > 1 && c.use_terms_query) {
    problems.push({ path: ['query_key'], message: 'use_terms_query works with a single query_key field' });
  }
  const timeframeMs = (typeOptions as { timeframe?: number } | undefined)?.timeframe;
  if (c.scan_entire_timeframe && timeframeMs === undefined)
    problems.push({
      path: ['scan_entire_timeframe'],
      message: 'can only be used with a rule type that has a timeframe',
    });

  // alert_text / alert_subject with positional args: the placeholders must fit the args
  for (const [textKey, argsKey] of [
    ['alert_text', 'alert_text_args'],
    ['alert_subject', 'alert_subject_args'],
  ] as const) {
    const text = c[textKey];
    const args = c[argsKey];
    if (
      text === undefined ||
      (args === undefined && textKey === 'alert_subject') ||
      c.alert_text_type === 'alert_text_jinja'
    )
      continue;
    try {
      if (args)
        pythonFormat(
          text,
          args.map(() => ''),
        );
      else if (c.alert_text_kw)
        pythonFormat(text, [], Object.fromEntries(Object.values(c.alert_text_kw).map((k) => [k, ''])));
    } catch (err) {
      problems.push({
        path: [textKey],
        message: `${errorMessage(err)}: it has to match ${argsKey}${args ? ` (${args.length} value(s))` : ''}; write literal braces as {{ and }}`,
      });
    }
  }

  // Jinja alert texts are compiled at load: a template error is reported now, not at alert time.
  let jinjaTemplate: string | undefined;
  if (c.alert_text_type === 'alert_text_jinja') {
    const path = typeof raw.jinja_template_path === 'string' ? raw.jinja_template_path : undefined;
    if (path) {
      const candidates = isAbsolute(path) ? [path] : [path, join(dirname(file), path)];
      const found = candidates.find((f) => existsSync(f));
      if (found) jinjaTemplate = readFileSync(found, 'utf8');
      else
        problems.push({
          path: ['jinja_template_path'],
          message: `${path} does not exist (relative paths are tried against the working directory and the rule's directory)`,
        });
    } else {
      jinjaTemplate = c.alert_text ?? '';
    }
    const problem = jinjaTemplate !== undefined ? checkTemplate(jinjaTemplate) : undefined;
    if (problem)
      problems.push({
        path: [path ? 'jinja_template_path' : 'alert_text'],
        message: `invalid Jinja template: ${problem}`,
      });
    const subjectProblem = c.alert_subject !== undefined ? checkTemplate(c.alert_subject) : undefined;
    if (subjectProblem)
      problems.push({ path: ['alert_subject'], message: `invalid Jinja template: ${subjectProblem}` });
  }

  const filters = normalizeFilters(c.filter);
  if (type.extraFilters && typeOptions !== undefined)
    filters.push(...type.extraFilters(typeOptions as never, raw));
  filters.push(...k8sEventFilters(c));
  for (const q of findQueryStrings(c.filter, ['filter'])) {
    const problem = queryStringProblem(q.query);
    if (problem) problems.push({ path: q.path, message: problem });
  }
  const alerterDefs = new Map<string, AlerterDefinition>();
  for (const spec of typeof c.alert === 'string' ? [c.alert] : c.alert) {
    const name = typeof spec === 'string' ? spec : Object.keys(spec)[0];
    const builtin = name ? ctx.catalogs.alerters.get(name) : undefined;
    const mod = name && !builtin ? findAlerterModule(name, ctx.catalogs.moduleDirs) : undefined;
    if (builtin) alerterDefs.set(name!, builtin);
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
    const found = findEnhancement(name, ctx.catalogs.moduleDirs);
    if (found && 'def' in found) enhancements.push(found.def);
    else
      problems.push({
        path: ['match_enhancements', i],
        message:
          found?.error ??
          `unknown enhancement "${name}" (a module path such as modules/my_enhancement.ts, or TimeEnhancement)`,
      });
  });

  if (problems.length > 0) throw problemsError('RULE_INVALID', fileLike, problems);
  const options = toRuleOptions({ ...c, filter: filters }, defaultsOf(ctx.global), timeframeMs);
  const hitFilter = c.k8s_skip_resync
    ? skipResyncNoops(options, c.k8s_keyword_suffix, type, typeOptions)
    : undefined;

  const alerters: Alerter[] = [];
  options.alerts.forEach((spec, i) => {
    const def = alerterDefs.get(spec.name)!;
    const inline = Object.keys(spec.options).length > 0;
    try {
      const alerterOptions = resolveRuleReferences({ ...raw, ...spec.options }, raw);
      alerters.push(
        def.create(alerterOptions, {
          logger: ctx.logger.child({ rule: c.name, alerter: def.name }),
          ruleDir: dirname(file),
        }),
      );
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
          : `${err.message} (${def.name} alerter)`;
      problems.push({ path, message });
    }
  });
  if (problems.length > 0) throw problemsError('RULE_INVALID', fileLike, problems);

  const warnings: string[] = [];
  const known = new Set<string>([
    ...COMMON_RULE_OPTIONS,
    ...type.optionNames,
    ...ctx.catalogs.alerters.optionNames(),
    ...GLOBAL_ONLY_KEYS,
  ]);
  for (const key of own) {
    if (known.has(key) || key === 'rule_file') continue;
    const loc = locate([key]);
    const where = `${loc.file}:${loc.line ?? 1}`;
    if (ELASTALERT_OPTION_NAMES.has(key)) {
      warnings.push(`${where}: option "${key}" is not supported by esalert yet and is ignored`);
    } else {
      const hint = suggest(key, known);
      warnings.push(`${where}: unknown option "${key}" is ignored${hint ? `; did you mean "${hint}"?` : ''}`);
    }
  }
  if (c.use_strftime_index) {
    for (const token of ['%y', '%M', '%D']) {
      if (c.index.includes(token))
        warnings.push(
          `${shown}: index uses ${token}; did you mean ${token === '%y' ? '%Y' : token === '%M' ? '%m' : '%d'}?`,
        );
    }
  }
  raw.filter = filters;
  return {
    name: c.name,
    file: shown,
    files: merged.files,
    hash: hashFiles(merged.files),
    raw,
    options,
    type,
    typeOptions,
    alerters,
    enhancements,
    jinjaTemplate,
    ...(hitFilter ? { hitFilter } : {}),
    warnings,
    locate,
  };
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

function defaultsOf(g: GlobalConfig) {
  return {
    bufferTimeMs: g.bufferTimeMs,
    runEveryMs: g.runEveryMs,
    maxQuerySize: g.maxQuerySize,
    maxScrollingCount: g.maxScrollingCount,
    timezone: g.timezone,
  };
}
