/**
 * The network options ElastAlert 2's HTTP alerters share, read the same way for each of them:
 * `<x>_proxy` ("host:port" as ElastAlert 2 documents it, or a URL) with optional
 * `<x>_proxy_login` / `<x>_proxy_pass`, `<x>_ca_certs` (a CA file, relative to the rule file;
 * true/false mean the system CAs), `<x>_ignore_ssl_errors`, and `<x>_timeout` in seconds.
 */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import type { Doc } from '../model/lookup.ts';
import { type AlerterDeps, OptionProblem } from './alerter.ts';
import type { HttpOptions } from './http.ts';
import { urlSecrets } from './url-secrets.ts';

/** A timeout option in seconds. */
export const seconds = (defaultSeconds = 10) =>
  z.number().positive({ error: 'must be a number of seconds greater than 0' }).default(defaultSeconds);

/** `<x>_ca_certs`: a CA bundle path, or true/false (the system CAs). */
export const caCerts = z.union([z.string(), z.boolean()]).optional();

/** A required text option; `what` says what to put there. */
export const required = (what: string) =>
  z.string({ error: `is required: ${what}` }).min(1, 'must not be empty');

export interface Transport {
  /** Timeout, proxy and TLS settings; callers add method and headers. */
  http: HttpOptions;
  /** The proxy's password and credentials in its URL. */
  secrets: string[];
}

/** The proxy as a URL: "host:port" gets http://, login and password are put into it. */
export function proxyUrl(
  proxy: string,
  option: string,
  login?: string | undefined,
  pass?: string | undefined,
): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new OptionProblem(
      option,
      'must be a proxy such as proxy.example:3128 or http://proxy.example:3128',
    );
  }
  if (login) {
    u.username = encodeURIComponent(login);
    u.password = encodeURIComponent(pass ?? '');
  }
  return u.toString();
}

/** A file option's path: as written when absolute, else relative to the rule file's directory. */
export const rulePath = (ruleDir: string, path: string): string =>
  isAbsolute(path) ? path : join(ruleDir, path);

type Setting = 'timeout' | 'proxy' | 'proxy_login' | 'proxy_pass' | 'ca_certs' | 'ignore_ssl_errors';

/** Option names that are not `<prefix>_<setting>` (ElastAlert 2's `alerta_api_skip_ssl`...). */
export type TransportNames = Partial<Record<Setting, string>>;

/**
 * Request options from an alerter's read options: `<prefix>_timeout`, `_proxy`, `_proxy_login`,
 * `_proxy_pass`, `_ca_certs`, `_ignore_ssl_errors`, each where the alerter's schema has it (what
 * it lacks is not set), under the names given in `names` where they differ.
 */
export function transport(
  options: object,
  prefix: string,
  deps: Pick<AlerterDeps, 'ruleDir'>,
  names: TransportNames = {},
): Transport {
  const option = (s: Setting) => names[s] ?? `${prefix}_${s}`;
  const o = options as Doc;
  const text = (s: Setting) => {
    const v = o[option(s)];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const timeout = o[option('timeout')];
  const ca = o[option('ca_certs')];
  const proxySpec = text('proxy');
  const pass = text('proxy_pass');
  const proxy = proxySpec ? proxyUrl(proxySpec, option('proxy'), text('proxy_login'), pass) : undefined;
  return {
    http: {
      timeoutMs: (typeof timeout === 'number' ? timeout : 10) * 1000,
      ...(o[option('ignore_ssl_errors')] === true ? { ignoreSslErrors: true } : {}),
      // true/false name no CA file: the system CAs verify (only *_ignore_ssl_errors turns that off)
      ...(typeof ca === 'string' ? { caCerts: rulePath(deps.ruleDir, ca) } : {}),
      ...(proxy ? { proxy } : {}),
    },
    secrets: [...(proxy ? urlSecrets(proxy) : []), ...(pass ? [pass] : [])],
  };
}

/** Checks that an option holds an absolute http(s) URL; names the option otherwise. */
export function checkUrl(option: string, value: string, example: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new OptionProblem(option, `must be a URL such as ${example}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new OptionProblem(option, `must be an http:// or https:// URL such as ${example}`);
  return value;
}

/** An Authorization header for HTTP Basic auth, and the values in it that are secret. */
export function basicAuth(user: string, password: string): { header: string; secrets: string[] } {
  const token = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
  return { header: `Basic ${token}`, secrets: [password, token].filter((s) => s.length >= 4) };
}
