/**
 * ElastAlert 2's `post2` alerter: one JSON POST per match to each http_post2_url, the payload and
 * headers rendered from Jinja templates (a mapping is turned into JSON text first), every printed
 * value JSON-escaped; http_post2_raw_fields copies match fields as they are.
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import { compileJsonTemplate, type JsonTemplate, TemplateError } from '../format/jinja.ts';
import type { AlerterDefinition } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { failed, postJson, sendEach } from './send-request.ts';
import { caCerts, checkUrl, seconds, transport } from './transport.ts';
import { displayUrl, urlSecrets } from './url-secrets.ts';

const template = z.union([z.string(), z.record(z.string(), z.unknown())]);

const schema = z.object({
  http_post2_url: stringList,
  http_post2_payload: template.default({}),
  http_post2_raw_fields: z.record(z.string(), z.string()).default({}),
  http_post2_all_values: z.boolean().optional(),
  http_post2_headers: template.default({}),
  http_post2_proxy: z.string().optional(),
  http_post2_ca_certs: caCerts,
  http_post2_ignore_ssl_errors: z.boolean().default(false),
  http_post2_timeout: seconds(10),
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
  aliases: ['elastalert.alerters.httppost2.HTTPPost2Alerter'],
  summary: 'POSTs each match as JSON built from Jinja templates (ElastAlert 2 http_post2_*).',
  // jinja_root_name: the name the template values are also reachable under (ElastAlert 2's option).
  optionNames: [...Object.keys(schema.shape), 'jinja_root_name'],
  create(options, deps) {
    const o = readOptions(schema, options);
    for (const url of o.http_post2_url) checkUrl('http_post2_url', url, 'https://hooks.example.com/alert');
    const payloadTemplate = compileOption('http_post2_payload', o.http_post2_payload);
    const headersTemplate = compileOption('http_post2_headers', o.http_post2_headers);
    const allValues = o.http_post2_all_values ?? isEmpty(o.http_post2_payload);
    const root = typeof options.jinja_root_name === 'string' ? options.jinja_root_name : '_data';
    const t = transport(o, 'http_post2', deps);
    // Header values rendered from templates may carry credentials; they are kept out of reasons too.
    const headerSecrets = new Set<string>();
    /** The payload and headers for one match, rendered from the templates. */
    const render = (match: Doc): { payload: Doc; headers: Record<string, string> } => {
      const values = { ...match, [root]: match };
      const payload = {
        ...(allValues ? match : {}),
        ...renderObject('http_post2_payload', payloadTemplate, values),
      };
      const headers: Record<string, string> = { Accept: 'application/json;charset=utf-8' };
      for (const [name, value] of Object.entries(
        renderObject('http_post2_headers', headersTemplate, values),
      )) {
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
      for (const [out, field] of Object.entries(o.http_post2_raw_fields))
        payload[out] = lookupField(match, field) ?? null;
      return { payload, headers };
    };
    return channelAlerter({
      type: 'post2',
      service: 'HTTP POST 2',
      channel: `post2:${o.http_post2_url.map(displayUrl).join(',')}`,
      info: { type: 'http_post2', http_post2_webhook_url: o.http_post2_url.map(displayUrl) },
      secrets: () => [...o.http_post2_url.flatMap(urlSecrets), ...t.secrets, ...headerSecrets],
      logger: deps.logger,
      // one request per match, to each URL
      send: (content, signal) =>
        sendEach(content.matches, (match) => {
          let request: ReturnType<typeof render>;
          try {
            request = render(match);
          } catch (err) {
            if (err instanceof Post2Problem) return Promise.resolve(failed(false, err.message));
            throw err;
          }
          const spec = { service: 'HTTP POST 2', http: { ...t.http, headers: request.headers } };
          return sendEach(o.http_post2_url, (url) => postJson(url, request.payload, spec, signal));
        }),
    });
  },
};
