/**
 * ElastAlert 2's `post2` alerter: one JSON POST per match to each http_post2_url, the payload and
 * headers rendered from Jinja templates (a mapping is turned into JSON text first), every printed
 * value JSON-escaped; http_post2_raw_fields copies match fields as they are.
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import { redactText } from '../util/redact.ts';
import { compileJsonTemplate, type JsonTemplate, TemplateError } from '../format/jinja.ts';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { guarded, type HttpOptions, httpOutcome, httpSend } from './http.ts';
import { readOptions } from './options.ts';
import { displayUrl, urlSecrets } from './url-secrets.ts';

const template = z.union([z.string(), z.record(z.string(), z.unknown())]);

const schema = z.object({
  http_post2_url: stringList,
  http_post2_payload: template.default({}),
  http_post2_raw_fields: z.record(z.string(), z.string()).default({}),
  http_post2_all_values: z.boolean().optional(),
  http_post2_headers: template.default({}),
  http_post2_proxy: z.string().optional(),
  http_post2_ca_certs: z.union([z.string(), z.boolean()]).optional(),
  http_post2_ignore_ssl_errors: z.boolean().default(false),
  http_post2_timeout: z
    .number()
    .positive({ error: 'must be a number of seconds greater than 0' })
    .default(10),
});

function compileOption(option: string, value: string | Doc): JsonTemplate {
  const source = typeof value === 'string' ? value : JSON.stringify(value);
  try {
    return compileJsonTemplate(source);
  } catch (err) {
    throw new OptionProblem(option, `is not a valid Jinja template: ${(err as Error).message}`);
  }
}

/** Python truthiness of the payload option, for http_post2_all_values' default. */
const isEmpty = (v: string | Doc) => (typeof v === 'string' ? v.length === 0 : Object.keys(v).length === 0);

class Post2Problem extends Error {}

function renderObject(option: string, t: JsonTemplate, values: Doc): Doc {
  let value: unknown;
  try {
    value = t.renderJson(values);
  } catch (err) {
    if (err instanceof TemplateError) throw new Post2Problem(`${option}: ${err.message}`);
    throw err;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new Post2Problem(`${option} must render to a JSON object (got ${JSON.stringify(value)})`);
  return value as Doc;
}

export const post2Alerter: AlerterDefinition = {
  name: 'post2',
  summary: 'POSTs each match as JSON built from Jinja templates (ElastAlert 2 http_post2_*).',
  // jinja_root_name: the name the template values are also reachable under (ElastAlert 2's option).
  optionNames: [...Object.keys(schema.shape), 'jinja_root_name'],
  create(options, deps) {
    const o = readOptions(schema, options);
    for (const url of o.http_post2_url) {
      try {
        new URL(url);
      } catch {
        throw new OptionProblem('http_post2_url', `must be a URL (got "${displayUrl(url)}")`);
      }
    }
    const payloadTemplate = compileOption('http_post2_payload', o.http_post2_payload);
    const headersTemplate = compileOption('http_post2_headers', o.http_post2_headers);
    const allValues = o.http_post2_all_values ?? isEmpty(o.http_post2_payload);
    const root = typeof options.jinja_root_name === 'string' ? options.jinja_root_name : '_data';
    const http: Omit<HttpOptions, 'headers'> = {
      timeoutMs: o.http_post2_timeout * 1000,
      ignoreSslErrors: o.http_post2_ignore_ssl_errors,
      ...(o.http_post2_ca_certs !== undefined ? { caCerts: o.http_post2_ca_certs } : {}),
      ...(o.http_post2_proxy ? { proxy: o.http_post2_proxy } : {}),
    };
    const secrets = [
      ...o.http_post2_url.flatMap(urlSecrets),
      ...(o.http_post2_proxy ? urlSecrets(o.http_post2_proxy) : []),
    ];
    // Header values rendered from templates may carry credentials; they are kept out of reasons too.
    const headerSecrets = new Set<string>();
    const hide = (outcome: SendOutcome): SendOutcome =>
      outcome.ok
        ? outcome
        : { ...outcome, reason: redactText(outcome.reason, [...secrets, ...headerSecrets]) };
    return {
      type: 'post2',
      channel: `post2:${o.http_post2_url.map(displayUrl).join(',')}`,
      info: () => ({ type: 'http_post2', http_post2_webhook_url: o.http_post2_url.map(displayUrl) }),
      secrets: () => [...new Set([...secrets, ...headerSecrets])],
      send: (content, signal) =>
        guarded(async (): Promise<SendOutcome> => {
          for (const match of content.matches) {
            const values = { ...match, [root]: match };
            let payload: Doc;
            let headers: Record<string, string>;
            try {
              payload = {
                ...(allValues ? match : {}),
                ...renderObject('http_post2_payload', payloadTemplate, values),
              };
              const rendered = renderObject('http_post2_headers', headersTemplate, values);
              headers = { 'Content-Type': 'application/json', Accept: 'application/json;charset=utf-8' };
              for (const [name, value] of Object.entries(rendered)) {
                if (value === null || typeof value === 'object')
                  throw new Post2Problem(`http_post2_headers: the value of header ${name} must be a string`);
                headers[name] = String(value);
                if (
                  /auth|token|key|secret|cookie/i.test(name) &&
                  headers[name].length >= 4 &&
                  headerSecrets.size < 100
                )
                  headerSecrets.add(headers[name]);
              }
            } catch (err) {
              if (err instanceof Post2Problem) return { ok: false, retryable: false, reason: err.message };
              throw err;
            }
            for (const [out, field] of Object.entries(o.http_post2_raw_fields))
              payload[out] = lookupField(match, field) ?? null;
            const body = JSON.stringify(payload);
            for (const url of o.http_post2_url) {
              const outcome = httpOutcome(url, await httpSend(url, body, { ...http, headers }, signal));
              if (!outcome.ok) return outcome;
            }
          }
          deps.logger.debug({ urls: o.http_post2_url.length }, 'HTTP Post 2 alert sent');
          return { ok: true };
        }).then(hide),
    };
  },
};
