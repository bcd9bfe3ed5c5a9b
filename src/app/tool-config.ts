/**
 * The global config for the tools that can run without one (test-rule, validate, test):
 * --config, else ./config.yaml when present, else elastalert-test-rule's defaults. The defaults
 * also fill what a given file leaves out, as elastalert-test-rule does.
 */
import { existsSync } from 'node:fs';
import { type GlobalConfig, loadGlobalConfig, parseGlobalConfig } from '../config/global-config.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { catalogs, knownRuleOptionNames } from './catalogs.ts';

export const TOOL_CONFIG_DEFAULTS = {
  rules_folder: 'rules',
  es_host: 'localhost',
  es_port: 9200,
  writeback_index: 'wb',
  max_query_size: 10_000,
  alert_time_limit: { hours: 24 },
  old_query_limit: { weeks: 1 },
  run_every: { minutes: 5 },
  disable_rules_on_error: false,
  buffer_time: { minutes: 45 },
  scroll_keepalive: '30s',
};

export function loadToolConfig(configFile: string | undefined, env: EnvLookup): GlobalConfig {
  const options = {
    env,
    knownRuleOptions: knownRuleOptionNames(catalogs(configFile)),
    defaults: TOOL_CONFIG_DEFAULTS,
  };
  const file = configFile ?? (existsSync('config.yaml') ? 'config.yaml' : undefined);
  if (file) return loadGlobalConfig(file, options);
  return parseGlobalConfig({ file: '', value: {}, locate: () => ({ file: '(defaults)', line: 1 }) }, options);
}
