/**
 * How to reach Elasticsearch, from ElastAlert 2's connection keys (global config, overridable per
 * rule) and the environment (ES_HOST, ES_PORT, ES_HOSTS, ES_USERNAME, ES_PASSWORD, ES_API_KEY,
 * ES_BEARER, ES_USE_SSL, ES_URL_PREFIX, ES_VERSION), which wins over the file.
 */
import { EsalertError } from '../errors/esalert-error.ts';
import { ES_CONNECTION_KEYS } from '../util/secret-names.ts';
import type { EnvLookup } from './interpolate.ts';

export type EsAuth =
  | { kind: 'apiKey'; apiKey: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string };

export interface EsTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  rejectUnauthorized: boolean;
}

export interface EsConnectionOptions {
  /** Base URLs (scheme, host, port, URL prefix), one per node. */
  nodes: string[];
  auth?: EsAuth;
  tls?: EsTls;
  requestTimeoutMs: number;
  /** From ES_VERSION: skip version detection (as ElastAlert 2 allows). */
  versionOverride?: string;
}

/** The connection keys as they appear in config.yaml / rule files. */
export interface EsConnectionKeys {
  es_host?: string;
  es_port?: number;
  es_hosts?: string[];
  use_ssl?: boolean;
  verify_certs?: boolean;
  ca_certs?: string;
  client_cert?: string;
  client_key?: string;
  es_username?: string;
  es_password?: string;
  es_api_key?: string;
  es_bearer?: string;
  es_url_prefix?: string;
  es_conn_timeout?: number;
}

export { ES_CONNECTION_KEYS };

function truthy(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  return /^(1|true|yes|on)$/i.test(v.trim());
}

function hostPort(spec: string, defaultPort: number): { host: string; port: number; https?: boolean } {
  // "host", "host:9200", "[::1]:9200", or a URL "https://host:9200" (whose scheme is kept)
  const url = /^[a-z]+:\/\//i.test(spec) ? new URL(spec) : undefined;
  if (url)
    return {
      host: url.hostname,
      port: url.port ? Number(url.port) : defaultPort,
      https: url.protocol === 'https:',
    };
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec.trim());
  if (!m) throw new EsalertError('CONFIG_INVALID', `es_hosts entry "${spec}" is not host or host:port`);
  return { host: m[1]!, port: m[2] ? Number(m[2]) : defaultPort };
}

export function resolveEsConnection(keys: EsConnectionKeys, env: EnvLookup): EsConnectionOptions {
  const host = env('ES_HOST') ?? keys.es_host;
  const portText = env('ES_PORT');
  const port = portText !== undefined ? Number(portText) : keys.es_port;
  const hostsEnv = env('ES_HOSTS');
  const hosts = hostsEnv
    ? hostsEnv
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : keys.es_hosts;
  const useSsl = truthy(env('ES_USE_SSL')) ?? keys.use_ssl ?? false;
  const prefix = (env('ES_URL_PREFIX') ?? keys.es_url_prefix ?? '').replace(/^\/+|\/+$/g, '');

  if (portText !== undefined && !Number.isInteger(port)) {
    throw new EsalertError('CONFIG_INVALID', `ES_PORT must be a port number, got "${portText}"`);
  }
  const specs: { host: string; port: number; https?: boolean }[] = [];
  if (host) specs.push({ host, port: port ?? 9200 });
  for (const h of hosts ?? []) specs.push(hostPort(h, port ?? 9200));
  if (specs.length === 0) {
    throw new EsalertError(
      'CONFIG_INVALID',
      'es_host is required: set es_host (and es_port) in config.yaml, or ES_HOST',
    );
  }
  // TLS settings without TLS would be ignored: the connection would silently go in clear text
  const tlsKeys = (['ca_certs', 'client_cert', 'client_key'] as const).filter((k) => keys[k]);
  if (tlsKeys.length > 0 && !useSsl && !specs.some((s) => s.https)) {
    throw new EsalertError(
      'CONFIG_INVALID',
      `${tlsKeys.join(' and ')} ${tlsKeys.length > 1 ? 'are' : 'is'} set but use_ssl is not: set use_ssl: true (or ES_USE_SSL=true) to reach Elasticsearch over HTTPS, or remove ${tlsKeys.join(' and ')}`,
    );
  }
  const scheme = (s: { https?: boolean }) => (useSsl || s.https ? 'https' : 'http');
  const nodes = [
    ...new Set(specs.map((s) => `${scheme(s)}://${s.host}:${s.port}${prefix ? `/${prefix}` : ''}`)),
  ];

  // Precedence as in ElastAlert 2: API key, then bearer token, then basic auth.
  // YAML may have read a credential written as digits as a number
  const text = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  const apiKey = env('ES_API_KEY') ?? text(keys.es_api_key);
  const bearer = env('ES_BEARER') ?? text(keys.es_bearer);
  const envUser = env('ES_USERNAME');
  const username = envUser ?? text(keys.es_username);
  const password = envUser !== undefined ? (env('ES_PASSWORD') ?? '') : text(keys.es_password);
  let auth: EsAuth | undefined;
  if (apiKey) auth = { kind: 'apiKey', apiKey };
  else if (bearer) auth = { kind: 'bearer', token: bearer };
  else if (username) auth = { kind: 'basic', username, password: password ?? '' };

  const options: EsConnectionOptions = {
    nodes,
    requestTimeoutMs: Math.round((keys.es_conn_timeout ?? 20) * 1000),
  };
  if (auth) options.auth = auth;
  if (useSsl || specs.some((s) => s.https)) {
    const tls: EsTls = { rejectUnauthorized: keys.verify_certs ?? true };
    if (keys.ca_certs) tls.caFile = keys.ca_certs;
    if (keys.client_cert) tls.certFile = keys.client_cert;
    if (keys.client_key) tls.keyFile = keys.client_key;
    options.tls = tls;
  }
  const version = env('ES_VERSION');
  if (version) options.versionOverride = version;
  return options;
}

/** Keys that say which cluster a connection reaches. */
const TARGET_KEYS = ['es_host', 'es_hosts', 'es_port', 'use_ssl', 'es_url_prefix'] as const;
/** Keys that prove who we are to it. */
const CREDENTIAL_KEYS = [
  'es_username',
  'es_password',
  'es_api_key',
  'es_bearer',
  'client_cert',
  'client_key',
];

/**
 * The connection of a rule. A rule that names the same cluster as config.yaml shares its
 * connection (and credentials). A rule that names another cluster gets only what it gives itself:
 * config.yaml's credentials (the same values inherited) and the ES_* environment variables, which
 * describe config.yaml's cluster, are not sent to it. ES_VERSION still applies.
 */
export function ruleConnection(
  ruleKeys: EsConnectionKeys | Record<string, unknown>,
  global: Record<string, unknown>,
  env: EnvLookup,
): { keys: EsConnectionKeys; env: EnvLookup; sameCluster: boolean } {
  const rule = ruleKeys as Record<string, unknown>;
  const keys: Record<string, unknown> = {};
  for (const k of ES_CONNECTION_KEYS) if (rule[k] !== undefined) keys[k] = rule[k];
  const same = (k: string) => JSON.stringify(rule[k]) === JSON.stringify(global[k]);
  if (TARGET_KEYS.every(same)) return { keys: keys as EsConnectionKeys, env, sameCluster: true };
  for (const k of CREDENTIAL_KEYS) if (global[k] !== undefined && same(k)) delete keys[k];
  const versionOnly: EnvLookup = (name) => (name === 'ES_VERSION' ? env(name) : undefined);
  return { keys: keys as EsConnectionKeys, env: versionOnly, sameCluster: false };
}

/** Values that must never be logged or written anywhere. */
export function connectionSecrets(options: EsConnectionOptions): string[] {
  const a = options.auth;
  if (!a) return [];
  switch (a.kind) {
    case 'apiKey':
      return [a.apiKey];
    case 'bearer':
      return [a.token];
    case 'basic':
      return a.password ? [a.password] : [];
  }
}
