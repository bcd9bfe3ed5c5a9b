/**
 * The network options ElastAlert 2's HTTP alerters share, read the same way for each of them:
 * `<x>_proxy` ("host:port" as ElastAlert 2 documents it, or a URL) with optional
 * `<x>_proxy_login` / `<x>_proxy_pass`, `<x>_ca_certs` (a CA file; true/false mean the system
 * CAs), `<x>_ignore_ssl_errors`, and a timeout in seconds.
 */
import { z } from 'zod';
import { OptionProblem } from './alerter.ts';
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

export interface TransportSettings {
  timeoutS: number;
  proxy?: string | undefined;
  /** The option the proxy came from, for problems ("slack_proxy"). */
  proxyOption?: string;
  proxyLogin?: string | undefined;
  proxyPass?: string | undefined;
  caCerts?: string | boolean | undefined;
  ignoreSslErrors?: boolean | undefined;
}

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

export function transport(s: TransportSettings): Transport {
  const proxy = s.proxy ? proxyUrl(s.proxy, s.proxyOption ?? 'proxy', s.proxyLogin, s.proxyPass) : undefined;
  return {
    http: {
      timeoutMs: s.timeoutS * 1000,
      ...(s.ignoreSslErrors ? { ignoreSslErrors: true } : {}),
      // true/false name no CA file: the system CAs verify (only *_ignore_ssl_errors turns that off)
      ...(typeof s.caCerts === 'string' ? { caCerts: s.caCerts } : {}),
      ...(proxy ? { proxy } : {}),
    },
    secrets: [...(proxy ? urlSecrets(proxy) : []), ...(s.proxyPass ? [s.proxyPass] : [])],
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
