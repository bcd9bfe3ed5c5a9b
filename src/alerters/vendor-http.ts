/** Small pieces the vendor API alerters share: Basic auth, proxies written as host:port, hiding secrets in reasons. */
import { z } from 'zod';
import { redactText } from '../util/redact.ts';
import type { SendOutcome } from './alerter.ts';

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
