/**
 * A generic webhook, kube-eventer style: one request per alert to webhook_url with a body from a
 * Jinja template (webhook_body). When the body is JSON (the default Content-Type), every value
 * the template prints is JSON-escaped, and the rendered body must parse as JSON before it is sent.
 */
import { z } from 'zod';
import type { Doc } from '../model/lookup.ts';
import { compileTemplate, parseRenderedJson, TemplateError, type CompiledTemplate } from '../format/jinja.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { failed, sendRequest } from './send-request.ts';
import { caCerts, checkUrl, seconds, transport } from './transport.ts';
import { displayUrl, urlDigest, urlSecrets } from './url-secrets.ts';

const schema = z.object({
  webhook_url: z.string({ error: 'is required: the URL to send alerts to' }),
  webhook_method: z
    .string()
    .transform((m) => m.toUpperCase())
    .pipe(z.enum(['POST', 'PUT', 'PATCH', 'GET']))
    .default('POST'),
  webhook_headers: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
    .default({}),
  webhook_body: z.string().optional(),
  webhook_timeout: seconds(10),
  webhook_proxy: z.string().optional(),
  webhook_ca_certs: caCerts,
  webhook_ignore_ssl_errors: z.boolean().default(false),
});

/** Header names whose values are credentials. */
const SECRET_HEADER = /auth|token|key|secret|signature|cookie|password/i;

/** The template variables: the first match's fields, then matches, rule, title, body; all under the root name too. */
export function webhookValues(content: AlertContent): Doc {
  const values: Doc = {
    ...(content.matches[0] ?? {}),
    matches: content.matches,
    rule: content.ruleName,
    title: content.title,
    body: content.body,
  };
  const root =
    typeof content.options.jinja_root_name === 'string' ? content.options.jinja_root_name : '_data';
  return { ...values, [root]: values };
}

/** The body when webhook_body is not set. */
export function defaultWebhookBody(content: AlertContent): string {
  return JSON.stringify({
    rule: content.ruleName,
    title: content.title,
    text: content.body,
    matches: content.matches,
  });
}

export const webhookAlerter: AlerterDefinition = {
  name: 'webhook',
  summary: 'Any HTTP endpoint, one request per alert, body from a Jinja template (JSON-escaped values).',
  // jinja_root_name: the name the template values are also reachable under (ElastAlert 2's option).
  optionNames: [...Object.keys(schema.shape), 'jinja_root_name'],
  create(options, deps) {
    const o = readOptions(schema, options);
    checkUrl('webhook_url', o.webhook_url, 'https://hooks.example.com/alert');
    const headers: Record<string, string> = { ...o.webhook_headers };
    const typeKey = Object.keys(headers).find((k) => k.toLowerCase() === 'content-type');
    if (!typeKey) headers['Content-Type'] = 'application/json';
    const contentType = headers[typeKey ?? 'Content-Type']!;
    const isJson = /json/i.test(contentType);
    let template: CompiledTemplate | undefined;
    if (o.webhook_body !== undefined) {
      try {
        template = compileTemplate(o.webhook_body, { mode: isJson ? 'json' : 'text' });
      } catch (err) {
        throw new OptionProblem('webhook_body', `is not a valid template: ${(err as Error).message}`);
      }
    }
    const t = transport(o, 'webhook', deps);
    const spec = { service: 'Webhook', http: { ...t.http, method: o.webhook_method, headers } };
    const render = (content: AlertContent): string => {
      if (!template) return defaultWebhookBody(content);
      const text = template.render(webhookValues(content));
      if (isJson) parseRenderedJson(text);
      return text;
    };
    return channelAlerter({
      type: 'webhook',
      service: 'Webhook',
      channel: `webhook:${urlDigest(o.webhook_url)}`,
      info: { type: 'webhook', webhook_url: displayUrl(o.webhook_url) },
      secrets: [
        ...urlSecrets(o.webhook_url),
        ...Object.entries(headers)
          .filter(([k, v]) => SECRET_HEADER.test(k) && v.length >= 4)
          .flatMap(([, v]) => [v, ...v.split(/\s+/).filter((part) => part.length >= 8)]),
        ...t.secrets,
      ],
      logger: deps.logger,
      send: (content, signal) => {
        let body: string;
        try {
          body = render(content);
        } catch (err) {
          if (!(err instanceof TemplateError)) throw err;
          return Promise.resolve(failed(false, `webhook_body: ${err.message}`));
        }
        return sendRequest(o.webhook_url, body, spec, signal);
      },
    });
  },
};
