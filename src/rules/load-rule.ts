/**
 * One rule file -> its definition: YAML with positions, `import` inheritance (ElastAlert 2's
 * order: the rule's own keys win, later imports over earlier ones, filters ANDed), config.yaml
 * defaults, the common options and every query_string, alert text and Jinja template, checked
 * here. The definition is plain data, like Prometheus's rulefmt: resolving the rule type,
 * alerters and enhancements against their registries is the compile step (src/compile/). Problems
 * that do not stop the file from being read are handed on with the definition, so that the
 * compile step reports all problems of a file together, each with file:line and what to fix.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { type Problem, problemLine, problemsError, problemsFromZod } from '../config/fields.ts';
import type { GlobalConfig } from '../config/global-config.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { readYamlFile, type YamlPath, type YamlSource } from '../config/yaml-source.ts';
import { EsalertError, type SourceLocation } from '../errors/esalert-error.ts';
import { checkTemplate } from '../format/jinja.ts';
import { filterShapeProblems } from '../query/filter-shape.ts';
import { findQueryStrings, normalizeFilters, queryStringProblem } from '../query/filters.ts';
import { k8sEventFilters } from '../k8s/event-filters.ts';
import type { Doc } from '../model/lookup.ts';
import type { EsQuery } from '../query/filters.ts';
import { formatProblem } from './format-check.ts';
import { convertLenientOptions } from './lenient-options.ts';
import { commonRuleSchema, type CommonRuleRaw } from './rule-options.ts';

export interface RuleReadContext {
  global: GlobalConfig;
  env: EnvLookup;
}

/** A rule file as written: plain, typed data with positions (the rule type, alerters and modules unresolved). */
export interface RuleDefinition {
  name: string;
  /** The rule file as found (relative to the working directory when below it). */
  file: string;
  /** The rule file and every file it imports. */
  files: string[];
  /** Content hash of `files`: a change means the rule must be reloaded. */
  hash: string;
  /** The merged mapping (rule over imports over config.yaml): what alerters and modules are given. */
  raw: Doc;
  /** The common options, validated, with their defaults. */
  common: CommonRuleRaw;
  /** The keys written in the rule file and its imports (config.yaml's defaults left out). */
  ownKeys: readonly string[];
  /** The rule's filters with legacy `query:` items unwrapped. */
  filters: EsQuery[];
  /** What the k8s_* filter options add (after what the rule type adds). */
  k8sFilters: EsQuery[];
  /** The Jinja template of alert_text (or jinja_template_path) when alert_text_type is alert_text_jinja. */
  jinjaTemplate: string | undefined;
  /** The directory of the rule file (relative paths in alerter options). */
  dir: string;
  warnings: string[];
  locate(path: YamlPath): SourceLocation;
}

export interface ReadRule {
  definition: RuleDefinition;
  /** What is wrong with the file, for the compile step to report with its own findings. */
  problems: Problem[];
}

export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

interface Merged {
  value: Doc;
  /** What reading the files found worth a warning (keys written twice). */
  warnings: string[];
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
  const merged: Merged = { value: {}, origin: new Map(), filterOrigin: [], files: [], warnings: [] };
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
    merged.warnings.push(...(source.warnings ?? []));
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

export function readRuleFile(file: string, ctx: RuleReadContext): ReadRule {
  const shown = displayPath(file);
  const merged = mergeImports(file, ctx.env);
  const own = Object.keys(merged.value);
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
    if (typeof key === 'string' && !own.includes(key) && globalFile && key in ctx.global.raw)
      return { file: globalFile };
    return ruleSource?.locate([]) ?? { file: shown, line: 1 };
  };
  const problems: Problem[] = [];

  const lenient = convertLenientOptions(raw);
  Object.assign(raw, lenient.raw);
  const common = commonRuleSchema.safeParse(raw);
  if (!common.success)
    throw problemsError('RULE_INVALID', { file: shown, locate }, problemsFromZod(common.error, raw));
  const c = common.data;
  // Checks that cannot stop the rule from running: ElastAlert 2 loads such a rule too
  const notes: Problem[] = [...lenient.notes];
  if (c.top_count_keys && c.top_count_number <= 0)
    notes.push({
      path: ['top_count_number'],
      message: `${c.top_count_number} asks for no terms: every top_events_<key> is empty (ElastAlert 2 asks Elasticsearch for ${c.top_count_number} terms, is refused, and leaves them empty)`,
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
    const kw =
      textKey === 'alert_text' && !args && c.alert_text_kw ? Object.values(c.alert_text_kw) : undefined;
    if (!args && !kw) continue;
    const problem = formatProblem(text, args?.length ?? 0, kw ?? []);
    if (problem)
      notes.push({
        path: [textKey],
        message: `${problem}: every alert of this rule fails until its placeholders match ${args ? argsKey : 'alert_text_kw'}; write literal braces as {{ and }}`,
      });
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
      notes.push({
        path: [path ? 'jinja_template_path' : 'alert_text'],
        message: `does not compile as a Jinja template (${problem}): every alert of this rule fails until it is fixed`,
      });
    const subjectProblem = c.alert_subject !== undefined ? checkTemplate(c.alert_subject) : undefined;
    if (subjectProblem)
      notes.push({
        path: ['alert_subject'],
        message: `does not compile as a Jinja template (${subjectProblem}): every alert of this rule fails until it is fixed`,
      });
  }

  problems.push(...filterShapeProblems(c.filter));
  for (const q of findQueryStrings(c.filter, ['filter'])) {
    const problem = queryStringProblem(q.query);
    if (problem) problems.push({ path: q.path, message: problem });
  }

  const warnings: string[] = [...merged.warnings, ...notes.map((n) => problemLine({ locate }, n))];
  if (c.use_strftime_index) {
    for (const token of ['%y', '%M', '%D']) {
      if (c.index.includes(token))
        warnings.push(
          `${shown}: index uses ${token}; did you mean ${token === '%y' ? '%Y' : token === '%M' ? '%m' : '%d'}?`,
        );
    }
  }
  return {
    definition: {
      name: c.name,
      file: shown,
      files: merged.files,
      hash: hashFiles(merged.files),
      raw,
      common: c,
      ownKeys: own,
      filters: normalizeFilters(c.filter),
      k8sFilters: k8sEventFilters(c),
      jinjaTemplate,
      dir: dirname(file),
      warnings,
      locate,
    },
    problems,
  };
}
