/**
 * `esalert validate [PATH...]`: loads every rule file as `run` would (schema, query strings,
 * regular expressions, templates, alerter options, imports, duplicate names) without touching
 * Elasticsearch, and reports each problem as `file:line: what is wrong and how to fix it`.
 */
import { existsSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { EnvLookup } from '../config/interpolate.ts';
import { EsalertError } from '../errors/esalert-error.ts';
import { displayPath } from '../rules/load-rule.ts';
import { loadRuleFiles } from '../compile/load-rules.ts';
import { catalogs } from './catalogs.ts';
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
}

export function validateRules(o: ValidateOptions, deps: { env: EnvLookup; logger: Logger }): ValidateReport {
  const config = loadToolConfig(o.config, deps.env);
  const report: ValidateReport = { files: 0, rules: [], errors: [], warnings: [...config.warnings] };
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
  const loaded = loadRuleFiles(unique, {
    global: config,
    env: deps.env,
    catalogs: catalogs(o.config),
    logger: deps.logger,
  });
  for (const r of [...loaded.rules, ...loaded.disabled]) {
    report.rules.push({
      name: r.name,
      file: r.file,
      type: r.definition.common.type,
      enabled: r.options.isEnabled,
    });
    report.warnings.push(...r.warnings);
  }
  for (const { file, error } of loaded.errors) {
    report.errors.push({
      file: file || displayPath(file),
      message: error instanceof EsalertError ? error.message : String(error),
    });
  }
  return report;
}

/** `file:line: message` becomes `file:line: warning: message`. */
export function asWarning(w: string): string {
  const m = /^(.+?:\d+(?::\d+)?): (.*)$/s.exec(w);
  return m ? `${m[1]}: warning: ${m[2]}` : `warning: ${w}`;
}
