/**
 * PagerTree integrations (ElastAlert 2's `pagertree`): `{"event_type": "create", "Id", "Title",
 * "Description"}` to the integration URL. ElastAlert 2 sends a random Id; esalert derives it from
 * the rule and the matches, so a send that is retried after a lost answer is the same incident.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { postJson, statusHints } from './send-request.ts';
import { checkUrl, required, seconds, transport } from './transport.ts';
import { displayUrl, lastPathPart, urlDigest, urlSecrets } from './url-secrets.ts';

const schema = z.object({
  pagertree_integration_url: required('the integration URL PagerTree generated'),
  pagertree_proxy: z.string().optional(),
  pagertree_timeout: seconds(10),
});

/** A UUID (version 5 layout) from the alert's rule and matches: the same alert gets the same Id. */
export function alertUuid(content: Pick<AlertContent, 'ruleName' | 'matches'>): string {
  const hex = createHash('sha1')
    .update(JSON.stringify([content.ruleName, content.matches]))
    .digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const pagerTreeAlerter: AlerterDefinition = {
  name: 'pagertree',
  aliases: ['elastalert.alerters.pagertree.PagerTreeAlerter'],
  summary: 'PagerTree integrations: creates an incident per alert (ElastAlert 2 pagertree_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const target = checkUrl(
      'pagertree_integration_url',
      o.pagertree_integration_url,
      'https://api.pagertree.com/integration/int_xxxxxxxx',
    );
    const t = transport(o, 'pagertree', deps);
    const spec = {
      service: 'PagerTree',
      http: t.http,
      read: statusHints({
        401: 'check pagertree_integration_url',
        404: 'no such integration (deleted?): check pagertree_integration_url',
      }),
    };
    return channelAlerter({
      type: 'pagertree',
      service: 'PagerTree',
      channel: `pagertree:${urlDigest(target)}`,
      info: { type: 'pagertree', pagertree_integration_url: displayUrl(target) },
      // the integration id at the end of the URL is what lets anyone open incidents
      secrets: [...urlSecrets(target), lastPathPart(target), ...t.secrets],
      logger: deps.logger,
      send: (content, signal) =>
        postJson(
          target,
          { event_type: 'create', Id: alertUuid(content), Title: content.title, Description: content.body },
          spec,
          signal,
        ),
    });
  },
};
