/**
 * ElastAlert 2's `post` alerter: one JSON POST per match to each http_post_url, the payload built
 * from the whole match (http_post_all_values), static values and mapped fields.
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import { lookupField } from '../model/lookup.ts';
import { redactText } from '../util/redact.ts';
import type { AlertContent, AlerterDefinition, SendOutcome } from './alerter.ts';
import { guarded, httpOutcome, httpSend } from './http.ts';
import { readOptions } from './options.ts';
import { displayUrl, urlDigest, urlSecrets } from './url-secrets.ts';

const schema = z.object({
  http_post_url: stringList,
  http_post_payload: z.record(z.string(), z.string()).default({}),
  http_post_static_payload: z.record(z.string(), z.unknown()).default({}),
  http_post_all_values: z.boolean().optional(),
  http_post_headers: z.record(z.string(), z.string()).default({}),
  http_post_proxy: z.string().optional(),
  http_post_ca_certs: z.union([z.string(), z.boolean()]).optional(),
  http_post_ignore_ssl_errors: z.boolean().default(false),
  http_post_timeout: z.number().positive().default(10),
});

export const postAlerter: AlerterDefinition = {
  name: 'post',
  summary: 'POSTs each match as JSON to one or more URLs (ElastAlert 2 http_post_*).',
  optionNames: Object.keys(schema.shape),
  create(options) {
    const o = readOptions(schema, options);
    const allValues = o.http_post_all_values ?? Object.keys(o.http_post_payload).length === 0;
    const headers = {
      'Content-Type': 'application/json',
      Accept: 'application/json;charset=utf-8',
      ...o.http_post_headers,
    };
    const http = {
      headers,
      timeoutMs: o.http_post_timeout * 1000,
      ignoreSslErrors: o.http_post_ignore_ssl_errors,
      ...(o.http_post_ca_certs !== undefined ? { caCerts: o.http_post_ca_certs } : {}),
      ...(o.http_post_proxy ? { proxy: o.http_post_proxy } : {}),
    };
    const secrets = [...new Set(o.http_post_url.flatMap(urlSecrets))];
    const send = (content: AlertContent, signal: AbortSignal) =>
      guarded(async (): Promise<SendOutcome> => {
        for (const match of content.matches) {
          const payload: Record<string, unknown> = allValues ? { ...match } : {};
          Object.assign(payload, o.http_post_static_payload);
          for (const [out, field] of Object.entries(o.http_post_payload))
            payload[out] = lookupField(match, field) ?? null;
          const body = JSON.stringify(payload);
          for (const url of o.http_post_url) {
            const outcome = httpOutcome(url, await httpSend(url, body, http, signal));
            if (!outcome.ok) return outcome;
          }
        }
        return { ok: true };
      });
    return {
      type: 'post',
      channel: `post:${o.http_post_url.map(urlDigest).join(',')}`,
      info: () => ({ type: 'http_post', http_post_webhook_url: o.http_post_url.map(displayUrl) }),
      secrets: () => secrets,
      // a receiver may echo the URL (and its token) in an error body
      send: async (content, signal) => {
        const outcome = await send(content, signal);
        return outcome.ok ? outcome : { ...outcome, reason: redactText(outcome.reason, secrets) };
      },
    };
  },
};
