/**
 * Splunk On-Call, formerly VictorOps (ElastAlert 2's `victorops`): the REST endpoint
 * integration, https://alert.victorops.com/integrations/generic/20131114/alert/<api key>/<routing
 * key>, with the first match's fields merged into the event. The endpoint answers
 * `{"result": "success", "entity_id": ...}` or `{"result": "failure", "message": ...}`.
 */
import { z } from 'zod';
import type { Doc } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition, SendOutcome } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import {
  detail,
  failed,
  firstOf,
  isRetryableStatus,
  postJson,
  type Reply,
  replyObject,
  statusHints,
} from './send-request.ts';
import { checkUrl, required, seconds, transport } from './transport.ts';
import { urlDigest } from './url-secrets.ts';

const schema = z.object({
  victorops_api_key: required("the REST endpoint's API key"),
  victorops_routing_key: required('the routing key to send to'),
  victorops_message_type: z.enum(['INFO', 'WARNING', 'ACKNOWLEDGEMENT', 'CRITICAL', 'RECOVERY'], {
    error: 'is required: one of INFO, WARNING, ACKNOWLEDGEMENT, CRITICAL, RECOVERY',
  }),
  victorops_entity_id: z.string().optional(),
  victorops_entity_display_name: z.string().optional(),
  victorops_proxy: z.string().optional(),
  victorops_api_url: z.string().default('https://alert.victorops.com/integrations/generic/20131114/alert'),
  victorops_timeout: seconds(10),
});
type VictorOpsOptions = z.output<typeof schema>;

export function victorOpsPayload(
  o: VictorOpsOptions,
  content: Pick<AlertContent, 'title' | 'body' | 'matches'>,
): Doc {
  return {
    message_type: o.victorops_message_type,
    entity_display_name: o.victorops_entity_display_name ?? content.title,
    monitoring_tool: 'ElastAlert',
    state_message: content.body,
    // every field of the first match, over the fields above (as ElastAlert 2 sends them)
    ...(content.matches[0] ?? {}),
    ...(o.victorops_entity_id ? { entity_id: o.victorops_entity_id } : {}),
  };
}

function readVictorOpsReply(r: Reply): SendOutcome | undefined {
  const j = replyObject(r);
  if (j?.result !== 'failure') return undefined;
  return failed(
    isRetryableStatus(r.status),
    `HTTP ${r.status}, result failure (${detail(j.message ?? r.body)}): check victorops_api_key, victorops_routing_key and victorops_message_type`,
  );
}

export const victorOpsAlerter: AlerterDefinition = {
  name: 'victorops',
  aliases: ['elastalert.alerters.victorops.VictorOpsAlerter'],
  summary: 'Splunk On-Call (VictorOps) REST endpoint incidents (ElastAlert 2 victorops_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const base = checkUrl(
      'victorops_api_url',
      o.victorops_api_url,
      'https://alert.victorops.com/integrations/generic/20131114/alert',
    ).replace(/\/+$/, '');
    const target = `${base}/${encodeURIComponent(o.victorops_api_key)}/${encodeURIComponent(o.victorops_routing_key)}`;
    const t = transport(o, 'victorops', deps);
    const spec = {
      service: 'Splunk On-Call',
      http: t.http,
      read: firstOf(
        readVictorOpsReply,
        statusHints({
          401: 'the API key is not valid: check victorops_api_key',
          403: 'the API key is not valid: check victorops_api_key',
          404: 'check victorops_api_key and victorops_routing_key',
        }),
      ),
    };
    return channelAlerter({
      type: 'victorops',
      service: 'Splunk On-Call',
      channel: `victorops:${urlDigest(target)}`,
      info: { type: 'victorops', victorops_routing_key: o.victorops_routing_key },
      secrets: [o.victorops_api_key, ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => postJson(target, victorOpsPayload(o, content), spec, signal),
    });
  },
};
