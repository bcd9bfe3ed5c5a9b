/**
 * config.yaml: ElastAlert 2's global keys and defaults. Every key here is also a default for each
 * rule (a rule may override any of them), so the raw mapping is kept alongside the typed view.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { EsalertError } from '../errors/esalert-error.ts';
import { isValidTimeZone, localTimeZone } from '../util/time.ts';
import { ES_CONNECTION_KEYS } from './es-connection.ts';
import {
  type ConsoleConfig,
  consoleConfig,
  consoleSchema,
  type HttpAuthConfig,
  httpAuthConfig,
  httpAuthOption,
} from './http-auth.ts';
import {
  duration,
  interval,
  nonNegativeInt,
  positiveInt,
  problemLine,
  problemsError,
  problemsFromZod,
  stringList,
  suggest,
} from './fields.ts';
import type { EnvLookup } from './interpolate.ts';
import { createRuleAccess, type RuleAccess } from './rule-access.ts';
import { readYamlFile, type YamlSource } from './yaml-source.ts';

const DAY = 86_400_000;
/** The console's settings: its credentials must not travel into every rule's options. */
const NOT_INHERITED = ['http_auth', 'console'];
const DURATION_KEYS = new Set([
  'run_every',
  'buffer_time',
  'alert_time_limit',
  'old_query_limit',
  'alert_retry',
]);

/** A credential: YAML may read one written as digits as a number; it is used as text. */
const credential = z.union([z.string(), z.number().transform(String)]).optional();

const globalSchema = z
  .object({
    rules_folder: stringList.default(['rules']),
    scan_subdirectories: z.boolean().default(true),
    rules_loader: z
      .literal('file', { error: 'only the file rules loader is supported ("file")' })
      .default('file'),
    // no default: only an explicit `false` stops on a broken rule file (docs/deviations.md)
    skip_invalid: z.boolean().optional(),
    run_every: interval,
    buffer_time: duration,
    writeback_index: z
      .string({ error: 'must be the base name of the writeback indices, e.g. elastalert_status' })
      .min(1),
    alert_time_limit: duration.default(2 * DAY),
    old_query_limit: duration.default(7 * DAY),
    max_query_size: positiveInt.default(10_000),
    scroll_keepalive: z.string().default('30s'),
    max_scrolling_count: nonNegativeInt.default(990),
    max_aggregation: positiveInt.default(10_000),
    disable_rules_on_error: z.boolean().default(true),
    show_disabled_rules: z.boolean().default(true),
    max_threads: positiveInt.default(10),
    misfire_grace_time: z.number().default(5),
    notify_email: stringList.optional(),
    notify_all_errors: z.boolean().default(false),
    from_addr: z.string().default('ElastAlert'),
    smtp_host: z.string().default('localhost'),
    es_host: z.string().optional(),
    es_port: z.int({ error: 'must be a port number' }).min(1).max(65535).default(9200),
    es_hosts: z.array(z.string()).optional(),
    use_ssl: z.boolean().optional(),
    verify_certs: z.boolean().optional(),
    ca_certs: z.string().optional(),
    client_cert: z.string().optional(),
    client_key: z.string().optional(),
    es_username: credential,
    es_password: credential,
    es_api_key: credential,
    es_bearer: credential,
    es_url_prefix: z.string().optional(),
    es_conn_timeout: z.number().positive().default(20),
    custom_pretty_ts_format: z.string().nullable().optional(),
    string_multi_field_name: z.string().default('.keyword'),
    jinja_root_name: z.string().default('_data'),
    allowed_file_paths: stringList.default([]),
    allow_command_alerter: z.boolean({ error: 'must be true or false' }).default(true),
    allowed_module_paths: stringList.default([]),
    rule_env_vars: stringList.optional(),
    add_metadata_alert: z.boolean().default(false),
    replace_dots_in_field_names: z.boolean().default(false),
    timezone: z
      .string()
      .refine(isValidTimeZone, { error: 'must be an IANA time zone name such as UTC or Asia/Shanghai' })
      .optional(),
    alert_retry: z
      .object({
        attempts: positiveInt.default(4),
        delay: duration.default(2000),
        max_delay: duration.default(60_000),
      })
      .strict()
      .default({ attempts: 4, delay: 2000, max_delay: 60_000 }),
    replicas: z
      .object({
        enabled: z.boolean().default(true),
        lease: duration.default(15_000),
        renew: duration.default(5000),
        member_id: z.string().min(1).optional(),
      })
      .strict()
      .refine((r) => r.renew > 0 && r.lease >= 3 * r.renew, {
        error: 'lease must be at least three times renew (e.g. lease: {seconds: 15}, renew: {seconds: 5})',
      })
      .default({ enabled: true, lease: 15_000, renew: 5000 }),
    http_auth: httpAuthOption,
    console: consoleSchema,
  })
  .loose();

export type RawConfig = Record<string, unknown>;

/**
 * Settings ElastAlert 2 reads only when it uses them (for error notices, alert texts and
 * payloads) and that no query depends on: with a value esalert cannot use, they are set aside with
 * a warning, as if they were not written, since ElastAlert 2 starts with them. Other settings are
 * refused: durations and required settings as ElastAlert 2 refuses them, the connection, sizes and
 * threads because no rule could run.
 */
const SET_ASIDE_SETTINGS = new Set<string>([
  'notify_email',
  'notify_all_errors',
  'from_addr',
  'smtp_host',
  'show_disabled_rules',
  'custom_pretty_ts_format',
  'add_metadata_alert',
  'replace_dots_in_field_names',
  'jinja_root_name',
  'string_multi_field_name',
]);

const SET_ASIDE =
  'the setting is ignored, as if it were not written (ElastAlert 2 does not check it at startup)';

function isSetAside(key: PropertyKey | undefined): boolean {
  return typeof key === 'string' && SET_ASIDE_SETTINGS.has(key);
}

export interface GlobalConfig {
  file: string | undefined;
  /** Every key (defaults filled, env applied): the defaults rules inherit. */
  raw: RawConfig;
  rulesFolders: string[];
  scanSubdirectories: boolean;
  /**
   * A rule file that fails to load stops the start: only when config.yaml says `skip_invalid: false`
   * itself. Otherwise the good rules run and the broken files are reported.
   */
  stopOnInvalidRules: boolean;
  runEveryMs: number;
  bufferTimeMs: number;
  writebackIndex: string;
  alertTimeLimitMs: number;
  oldQueryLimitMs: number;
  maxQuerySize: number;
  maxScrollingCount: number;
  maxAggregation: number;
  disableRulesOnError: boolean;
  maxThreads: number;
  /** Time zone for times shown in alerts and logs (ElastAlert 2 uses the process's local zone). */
  timezone: string;
  /** Delivery retries (esalert): attempts per pass, first backoff, longest wait. */
  alertRetry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  /** The files, modules and environment variables rule files may reach (docs/security.md). */
  access: RuleAccess;
  /** Replicas sharing the rules through the writeback (docs/replicas.md). */
  replicas: { enabled: boolean; leaseMs: number; renewMs: number; memberId: string | undefined };
  /** Who may use the console's API (http_auth); undefined: read-only for everyone. */
  httpAuth: HttpAuthConfig | undefined;
  /** How the console shows things (console). */
  console: ConsoleConfig;
  warnings: string[];
}

/** Keys only meaningful in config.yaml (rules inherit them but do not set them). */
export const GLOBAL_ONLY_KEYS = new Set([
  'rules_folder',
  'scan_subdirectories',
  'rules_loader',
  'skip_invalid',
  'writeback_index',
  'writeback_alias',
  'alert_time_limit',
  'alert_retry',
  'replicas',
  'old_query_limit',
  'max_scrolling_count',
  'max_aggregation',
  'disable_rules_on_error',
  'show_disabled_rules',
  'max_threads',
  'misfire_grace_time',
  'notify_email',
  'notify_alert',
  'notify_all_errors',
  'statsd_host',
  'statsd_instance_tag',
  'add_metadata_alert',
  'replace_dots_in_field_names',
  'string_multi_field_name',
  'logging',
  'timezone',
  'aws_region',
  'profile',
  'es_send_get_body_as',
  'allowed_file_paths',
  'allowed_module_paths',
  'allow_command_alerter',
  'rule_env_vars',
  'self_alert',
  'http_auth',
  'console',
  ...ES_CONNECTION_KEYS,
]);

/** ElastAlert 2 copies these environment variables into the global config. */
function applyEnv(raw: RawConfig, env: EnvLookup): void {
  const set = (name: string, key: string, convert: (v: string) => unknown = (v) => v) => {
    const v = env(name);
    if (v !== undefined && v !== '') raw[key] = convert(v);
  };
  set('ES_HOST', 'es_host');
  set('ES_PORT', 'es_port', (v) => (/^\d+$/.test(v) ? Number(v) : v));
  set('ES_HOSTS', 'es_hosts', (v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  set('ES_USE_SSL', 'use_ssl', (v) => /^(1|true|yes|on)$/i.test(v.trim()));
  set('ES_USERNAME', 'es_username');
  set('ES_PASSWORD', 'es_password');
  set('ES_API_KEY', 'es_api_key');
  set('ES_BEARER', 'es_bearer');
  set('ES_URL_PREFIX', 'es_url_prefix');
}

export interface LoadConfigOptions {
  env: EnvLookup;
  /** Option names rules and alerters understand: anything else in config.yaml draws a warning. */
  knownRuleOptions?: ReadonlySet<string>;
  /** Values that win over the file (command-line flags). */
  overrides?: RawConfig;
  /** When no file exists: start from these values (test-rule's defaults). */
  defaults?: RawConfig;
  /** Environment variables the config file read (rules may not read them by default). */
  configVariables?: ReadonlySet<string>;
}

export function parseGlobalConfig(
  source: Pick<YamlSource, 'file' | 'locate' | 'value' | 'warnings'>,
  options: LoadConfigOptions,
): GlobalConfig {
  const value = source.value ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new EsalertError(
      'CONFIG_INVALID',
      `${source.file}: must be a mapping of settings (key: value lines)`,
    );
  }
  const raw: RawConfig = { ...options.defaults, ...(value as RawConfig) };
  applyEnv(raw, options.env);
  Object.assign(raw, options.overrides);
  const warnings: string[] = [...(source.warnings ?? [])];
  let parsed = globalSchema.safeParse(raw);
  if (!parsed.success) {
    // a setting ElastAlert 2 reads only when it uses it is set aside when its value cannot be used
    const problems = problemsFromZod(parsed.error, raw);
    const setAside = problems.filter((p) => isSetAside(p.path[0]));
    if (setAside.length === problems.length) {
      for (const p of setAside) {
        delete raw[String(p.path[0])];
        warnings.push(`${problemLine(source, p)}; ${SET_ASIDE}`);
      }
      parsed = globalSchema.safeParse(raw);
    }
  }
  if (!parsed.success) throw problemsError('CONFIG_INVALID', source, problemsFromZod(parsed.error, raw));
  const c = parsed.data;
  if (!c.es_host && !c.es_hosts?.length) {
    throw problemsError('CONFIG_INVALID', source, [
      { path: ['es_host'], message: 'is required: the Elasticsearch host name (or set ES_HOST)' },
    ]);
  }
  const tlsKey = (['ca_certs', 'client_cert', 'client_key'] as const).find((k) => c[k]);
  const httpsHost = (c.es_hosts ?? []).some((h) => /^https:\/\//i.test(h));
  if (tlsKey && !c.use_ssl && !httpsHost) {
    throw problemsError('CONFIG_INVALID', source, [
      {
        path: [tlsKey],
        message:
          'is set but use_ssl is not, so Elasticsearch would be reached in clear text: set use_ssl: true (or ES_USE_SSL=true), or remove it',
      },
    ]);
  }
  if (c.verify_certs === false && (c.use_ssl || httpsHost)) {
    const loc = source.locate(['verify_certs']);
    warnings.push(
      `${loc.file}:${loc.line ?? 1}: verify_certs is false: Elasticsearch's TLS certificate is not verified, so anyone on the network path can read the password and the data; give its CA in ca_certs instead`,
    );
  }
  if (options.knownRuleOptions) {
    for (const key of Object.keys(value as RawConfig)) {
      if (key in globalSchema.shape || GLOBAL_ONLY_KEYS.has(key) || options.knownRuleOptions.has(key))
        continue;
      const hint = suggest(key, [...Object.keys(globalSchema.shape), ...options.knownRuleOptions]);
      const loc = source.locate([key]);
      warnings.push(
        `${loc.file}:${loc.line}: unknown setting "${key}" is ignored${hint ? `; did you mean "${hint}"?` : ''}`,
      );
    }
  }
  if ((value as RawConfig).logging !== undefined) {
    warnings.push(
      `${source.file}: "logging" (Python logging configuration) is ignored; use --log-format, --verbose or --debug`,
    );
  }
  const base = source.file ? dirname(source.file) : process.cwd();
  // ElastAlert 2 resolves rules_folder against the working directory; fall back to the config's directory.
  const rulesFolders = c.rules_folder.map((f) => {
    if (isAbsolute(f) || existsSync(f)) return resolve(f);
    const besideConfig = resolve(base, f);
    return existsSync(besideConfig) ? besideConfig : resolve(f);
  });
  const dirsFrom = (dirs: string[]) => dirs.map((d) => resolve(base, d));
  const access = createRuleAccess({
    rulesFolders,
    allowedFilePaths: dirsFrom(c.allowed_file_paths),
    allowedModulePaths: dirsFrom(c.allowed_module_paths),
    allowCommandAlerter: c.allow_command_alerter,
    ...(c.rule_env_vars ? { ruleEnvVars: c.rule_env_vars } : {}),
    ...(options.configVariables ? { configVariables: options.configVariables } : {}),
  });
  // Rules inherit the file's own values (time dicts stay dicts, as a rule would write them) plus defaults.
  const fullRaw: RawConfig = { ...raw };
  for (const [k, v] of Object.entries(c)) {
    if (!(k in fullRaw) && v !== undefined && !DURATION_KEYS.has(k)) fullRaw[k] = v;
  }
  for (const k of NOT_INHERITED) delete fullRaw[k];
  return {
    file: source.file,
    raw: fullRaw,
    rulesFolders,
    scanSubdirectories: c.scan_subdirectories,
    stopOnInvalidRules: c.skip_invalid === false,
    runEveryMs: c.run_every,
    bufferTimeMs: c.buffer_time,
    writebackIndex: c.writeback_index,
    alertTimeLimitMs: c.alert_time_limit,
    oldQueryLimitMs: c.old_query_limit,
    maxQuerySize: c.max_query_size,
    maxScrollingCount: c.max_scrolling_count,
    maxAggregation: c.max_aggregation,
    disableRulesOnError: c.disable_rules_on_error,
    maxThreads: c.max_threads,
    timezone: c.timezone ?? localTimeZone(),
    alertRetry: {
      attempts: c.alert_retry.attempts,
      baseDelayMs: c.alert_retry.delay,
      maxDelayMs: c.alert_retry.max_delay,
    },
    access,
    replicas: {
      enabled: c.replicas.enabled,
      leaseMs: c.replicas.lease,
      renewMs: c.replicas.renew,
      memberId: c.replicas.member_id,
    },
    httpAuth: httpAuthConfig(c.http_auth),
    console: consoleConfig(c.console),
    warnings,
  };
}

export function loadGlobalConfig(file: string, options: LoadConfigOptions): GlobalConfig {
  const read = new Set<string>();
  const env: EnvLookup = (name) => (read.add(name), options.env(name));
  const source = readYamlFile(file, { env, errorCode: 'CONFIG_INVALID' });
  return parseGlobalConfig(source, { ...options, configVariables: read });
}
