/**
 * `esalert validate [PATH...]`: loads every rule file as `run` would (schema, query strings,
 * regular expressions, templates, alerter options, imports, duplicate names) without touching
 * Elasticsearch, and reports each problem as `file:line: what is wrong and how to fix it`.
 */
import { existsSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { EnvLookup } from '../config/interpolate.ts';
import { readYamlFile } from '../config/yaml-source.ts';
import { EsalertError } from '../errors/esalert-error.ts';
import { ignoredOptions, type IgnoredOptions } from '../rules/ignored-options.ts';
import { displayPath } from '../rules/load-rule.ts';
import { loadRuleFiles } from '../compile/load-rules.ts';
import { catalogs, knownRuleOptionNames } from './catalogs.ts';
import { type FileResult, type MigrationSummary, summarize } from './migration-summary.ts';
import { loadToolConfig } from './tool-config.ts';
import { findRuleFiles } from '../rules/find-rule-files.ts';

export interface ValidateOptions {
  /** Rule files or folders; none means the config's rules_folder. */
  paths: readonly string[];
  config?: string;
}

export interface ValidateReport {
  files: number;
  rules: { name: string; file: string; type: string; enabled: boolean }[];
  errors: { file: string; message: string }[];
  warnings: string[];
  /** Per rule file: loads, loads with warnings, or refused, and the options esalert ignores. */
  results: FileResult[];
  summary: MigrationSummary;
}

export function validateRules(o: ValidateOptions, deps: { env: EnvLookup; logger: Logger }): ValidateReport {
  const config = loadToolConfig(o.config, deps.env);
  const report: Omit<ValidateReport, 'summary'> = {
    files: 0,
    rules: [],
    errors: [],
    warnings: [...config.warnings],
    results: [],
  };
  const files: string[] = [];
  const folders = o.paths.length ? [] : config.rulesFolders;
  for (const p of o.paths) {
    if (!existsSync(p)) {
      report.errors.push({ file: p, message: `${p}: no such file or folder` });
      continue;
    }
    if (statSync(p).isDirectory()) folders.push(p);
    else files.push(p);
  }
  if (folders.length) {
    const found = findRuleFiles(folders, config.scanSubdirectories || o.paths.length > 0);
    files.push(...found.files);
    for (const e of found.errors) report.errors.push({ file: '', message: e.message });
  }
  const unique = [...new Set(files)];
  report.files = unique.length;
  const ruleCatalogs = catalogs(o.config);
  const loaded = loadRuleFiles(unique, {
    global: config,
    env: deps.env,
    catalogs: ruleCatalogs,
    logger: deps.logger,
  });
  const results = new Map<string, FileResult>();
  for (const r of [...loaded.rules, ...loaded.disabled]) {
    report.rules.push({
      name: r.name,
      file: r.file,
      type: r.definition.common.type,
      enabled: r.options.isEnabled,
    });
    report.warnings.push(...r.warnings);
    const status = r.warnings.length ? 'warnings' : 'loads';
    results.set(r.file, { file: r.file, status, messages: r.warnings, ignored: r.ignoredOptions });
  }
  let known: Set<string> | undefined;
  for (const { file, error } of loaded.errors) {
    const message = error instanceof EsalertError ? error.message : String(error);
    report.errors.push({ file: file || displayPath(file), message });
    if (!file) continue;
    const previous = results.get(file);
    known ??= knownRuleOptionNames(ruleCatalogs);
    results.set(file, {
      file,
      status: 'refused',
      messages: [...message.split('\n'), ...(previous?.messages ?? [])],
      ignored: previous?.ignored ?? optionsOf(file, known),
    });
  }
  report.results = unique.map((f) => results.get(displayPath(f))).filter((r) => r !== undefined);
  return { ...report, summary: summarize(report.results) };
}

/** The options a refused file holds that esalert would ignore, when its YAML can be read. */
function optionsOf(file: string, known: ReadonlySet<string>): IgnoredOptions {
  try {
    const value = readYamlFile(file).value;
    if (value && typeof value === 'object' && !Array.isArray(value))
      return ignoredOptions(Object.keys(value), known);
  } catch {
    // the file's error is reported already
  }
  return { unsupported: [], unknown: [] };
}

/** `file:line: message` becomes `file:line: warning: message`. */
export function asWarning(w: string): string {
  const m = /^(.+?:\d+(?::\d+)?): (.*)$/s.exec(w);
  return m ? `${m[1]}: warning: ${m[2]}` : `warning: ${w}`;
}
