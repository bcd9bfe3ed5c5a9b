/**
 * ElastAlert 2's `post` alerter: one JSON POST per match to each http_post_url, the payload built
 * from the whole match (http_post_all_values), static values and mapped fields.
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import type { AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { postJson, sendEach } from './send-request.ts';
import { caCerts, seconds, transport } from './transport.ts';
import { displayUrl, urlDigest, urlSecrets } from './url-secrets.ts';

const schema = z.object({
  http_post_url: stringList,
  http_post_payload: z.record(z.string(), z.string()).default({}),
  http_post_static_payload: z.record(z.string(), z.unknown()).default({}),
  http_post_all_values: z.boolean().optional(),
  http_post_headers: z.record(z.string(), z.string()).default({}),
  http_post_proxy: z.string().optional(),
  http_post_ca_certs: caCerts,
  http_post_ignore_ssl_errors: z.boolean().default(false),
  http_post_timeout: seconds(10),
});

export const postAlerter: AlerterDefinition = {
  name: 'post',
  aliases: ['elastalert.alerters.httppost.HTTPPostAlerter'],
  summary: 'POSTs each match as JSON to one or more URLs (ElastAlert 2 http_post_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const allValues = o.http_post_all_values ?? Object.keys(o.http_post_payload).length === 0;
    const t = transport(o, 'http_post', deps);
    const spec = {
      service: 'HTTP POST',
      http: { ...t.http, headers: { Accept: 'application/json;charset=utf-8', ...o.http_post_headers } },
    };
    const payloadOf = (match: Match) => {
      const payload: Doc = allValues ? { ...match } : {};
      Object.assign(payload, o.http_post_static_payload);
      for (const [out, field] of Object.entries(o.http_post_payload))
        payload[out] = lookupField(match, field) ?? null;
      return payload;
    };
    return channelAlerter({
      type: 'post',
      service: 'HTTP POST',
      channel: `post:${o.http_post_url.map(urlDigest).join(',')}`,
      info: { type: 'http_post', http_post_webhook_url: o.http_post_url.map(displayUrl) },
      // a receiver may echo the URL (and its token) in an error body
      secrets: [...o.http_post_url.flatMap(urlSecrets), ...t.secrets],
      logger: deps.logger,
      // one request per match, to each URL
      send: (content, signal) =>
        sendEach(content.matches, (match) =>
          sendEach(o.http_post_url, (url) => postJson(url, payloadOf(match), spec, signal)),
        ),
    });
  },
};
