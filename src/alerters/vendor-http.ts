/**
 * Small pieces the vendor API alerters share: request options, Basic auth, proxies written as
 * host:port, paths relative to the rule file, hiding secrets in reasons.
 */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { redactText } from '../util/redact.ts';
import type { SendOutcome } from './alerter.ts';
import type { HttpOptions } from './http.ts';

/** An Authorization header for HTTP Basic auth, and the values in it that are secret. */
export function basicAuth(user: string, password: string): { header: string; secrets: string[] } {
  const token = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
  return { header: `Basic ${token}`, secrets: [password, token].filter((s) => s.length >= 4) };
}

/** ElastAlert 2 takes proxies as "host:port" (requests' proxies mapping); undici wants a URL. */
export function proxyUrl(spec: string | undefined): string | undefined {
  if (!spec) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) ? spec : `http://${spec}`;
}

/** Replaces the secrets in a failure's reason. */
export function hideSecrets(secrets: readonly string[]): (outcome: SendOutcome) => SendOutcome {
  return (outcome) => (outcome.ok ? outcome : { ...outcome, reason: redactText(outcome.reason, secrets) });
}

/** A `*_timeout` option: seconds, greater than 0, with a default. */
export const timeoutOption = (seconds: number) =>
  z.number().positive({ error: 'must be a number of seconds greater than 0' }).default(seconds);

export interface VendorHttp extends Omit<HttpOptions, 'headers' | 'timeoutMs'> {
  /** What the body is: JSON or an HTML form. */
  body: 'json' | 'form';
  authorization?: string;
  timeoutSeconds: number;
  headers?: Record<string, string>;
}

/** Request options for a vendor API that answers JSON. */
export function vendorHttp({
  body,
  authorization,
  timeoutSeconds,
  headers,
  ...rest
}: VendorHttp): HttpOptions {
  return {
    headers: {
      'Content-Type': body === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      ...(authorization ? { Authorization: authorization } : {}),
      ...headers,
    },
    timeoutMs: timeoutSeconds * 1000,
    ...rest,
  };
}

/** A file option's path: as written when absolute, else relative to the rule file's directory. */
export const rulePath = (ruleDir: string, path: string): string =>
  isAbsolute(path) ? path : join(ruleDir, path);
