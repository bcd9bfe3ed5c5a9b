/**
 * ElastAlert 2's `smseagle`: an SMS, or a ring / text-to-speech call, through an SMSEagle device's
 * API v2 (POST /api/v2/messages/sms or /api/v2/calls/..., header access-token).
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { failed, firstOf, isSuccess, postJson, type Reply, statusHints } from './send-request.ts';
import { checkUrl, seconds, transport } from './transport.ts';
import { displayUrl, urlDigest, urlSecrets } from './url-secrets.ts';

const schema = z.object({
  smseagle_url: z.string({
    error: 'is required: the address of the SMSEagle device, e.g. https://192.168.1.101',
  }),
  smseagle_token: z.string({ error: 'is required: an API access token of an SMSEagle user' }),
  smseagle_message_type: z.enum(['sms', 'ring', 'tts', 'tts_adv'], {
    error: 'must be sms, ring, tts or tts_adv',
  }),
  smseagle_text: z.string().optional(),
  smseagle_to: stringList.optional(),
  smseagle_contacts: z.array(z.int()).optional(),
  smseagle_groups: z.array(z.int()).optional(),
  smseagle_duration: z.int().positive().default(10),
  smseagle_voice_id: z.int().default(1),
  smseagle_timeout: seconds(10),
});

const ENDPOINTS = {
  sms: '/api/v2/messages/sms',
  ring: '/api/v2/calls/ring',
  tts: '/api/v2/calls/tts',
  tts_adv: '/api/v2/calls/tts_advanced',
} as const;

/** The reply lists each recipient with a status; "error" ones did not get it. */
function readRecipients(r: Reply): SendOutcome | undefined {
  if (!isSuccess(r.status) || !Array.isArray(r.json)) return undefined;
  const refused = (r.json as { status?: unknown; number?: unknown; message?: unknown }[])
    .filter((x) => x && x.status === 'error')
    .map((x) => `${String(x.number ?? '?')}: ${String(x.message ?? 'error')}`);
  return refused.length > 0
    ? failed(false, `SMSEagle refused: ${refused.join('; ').slice(0, 300)}`)
    : undefined;
}

export const smseagleAlerter: AlerterDefinition = {
  name: 'smseagle',
  aliases: ['elastalert.alerters.smseagle.SMSEagleAlerter'],
  summary: 'SMSEagle device: SMS, ring or text-to-speech call (API v2, access token).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    if (!o.smseagle_to?.length && !o.smseagle_contacts?.length && !o.smseagle_groups?.length)
      throw new OptionProblem(
        'smseagle_to',
        'or smseagle_contacts or smseagle_groups is required: who gets the message',
      );
    const url = checkUrl(
      'smseagle_url',
      `${o.smseagle_url.replace(/\/+$/, '')}${ENDPOINTS[o.smseagle_message_type]}`,
      'https://192.168.1.101',
    );
    const t = transport(o, 'smseagle', deps);
    const spec = {
      service: 'SMSEagle',
      http: { ...t.http, headers: { Accept: 'application/json', 'access-token': o.smseagle_token } },
      read: firstOf(
        statusHints({
          401: 'check smseagle_token and the user API permissions',
          403: 'check smseagle_token and the user API permissions',
        }),
        readRecipients,
      ),
    };
    const call = o.smseagle_message_type !== 'sms';
    return channelAlerter({
      type: 'smseagle',
      service: 'SMSEagle',
      channel: `smseagle:${urlDigest(o.smseagle_url)}`,
      info: { type: 'smseagle', smseagle_url: displayUrl(o.smseagle_url) },
      secrets: [o.smseagle_token, ...urlSecrets(url)],
      logger: deps.logger,
      send: (content, signal) => {
        const payload = {
          text: o.smseagle_text || content.body,
          ...(o.smseagle_to?.length ? { to: o.smseagle_to } : {}),
          ...(o.smseagle_contacts?.length ? { contacts: o.smseagle_contacts } : {}),
          ...(o.smseagle_groups?.length ? { groups: o.smseagle_groups } : {}),
          ...(call ? { duration: o.smseagle_duration } : {}),
          ...(o.smseagle_message_type === 'tts_adv' ? { voice_id: o.smseagle_voice_id } : {}),
        };
        return postJson(url, payload, spec, signal);
      },
    });
  },
};
