/**
 * ElastAlert 2's `smseagle`: an SMS, or a ring / text-to-speech call, through an SMSEagle device's
 * API v2 (POST /api/v2/messages/sms or /api/v2/calls/..., header access-token).
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { guarded, httpOutcome, httpSend } from './http.ts';
import { readOptions } from './options.ts';
import { displayUrl, urlDigest, urlSecrets } from './url-secrets.ts';
import { hideSecrets, timeoutOption, vendorHttp } from './vendor-http.ts';

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
  smseagle_timeout: timeoutOption(10),
});

const ENDPOINTS = {
  sms: '/api/v2/messages/sms',
  ring: '/api/v2/calls/ring',
  tts: '/api/v2/calls/tts',
  tts_adv: '/api/v2/calls/tts_advanced',
} as const;

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
    const url = `${o.smseagle_url.replace(/\/+$/, '')}${ENDPOINTS[o.smseagle_message_type]}`;
    try {
      new URL(url);
    } catch {
      throw new OptionProblem('smseagle_url', 'must be a URL such as https://192.168.1.101');
    }
    const secrets = [o.smseagle_token, ...urlSecrets(url)].filter((s) => s.length >= 4);
    const http = vendorHttp({
      body: 'json',
      headers: { 'access-token': o.smseagle_token },
      timeoutSeconds: o.smseagle_timeout,
    });
    const call = o.smseagle_message_type !== 'sms';
    return {
      type: 'smseagle',
      channel: `smseagle:${urlDigest(o.smseagle_url)}`,
      info: () => ({ type: 'smseagle', smseagle_url: displayUrl(o.smseagle_url) }),
      secrets: () => [...secrets],
      send: (content, signal) =>
        guarded(async (): Promise<SendOutcome> => {
          const payload = {
            text: o.smseagle_text || content.body,
            ...(o.smseagle_to?.length ? { to: o.smseagle_to } : {}),
            ...(o.smseagle_contacts?.length ? { contacts: o.smseagle_contacts } : {}),
            ...(o.smseagle_groups?.length ? { groups: o.smseagle_groups } : {}),
            ...(call ? { duration: o.smseagle_duration } : {}),
            ...(o.smseagle_message_type === 'tts_adv' ? { voice_id: o.smseagle_voice_id } : {}),
          };
          const result = await httpSend(url, JSON.stringify(payload), http, signal);
          const outcome = httpOutcome(url, result);
          if (!outcome.ok) {
            const hint =
              result.status === 401 || result.status === 403
                ? ' (check smseagle_token and the user API permissions)'
                : '';
            return { ...outcome, reason: `SMSEagle: ${outcome.reason}${hint}` };
          }
          // the reply lists each recipient with a status; "error" ones did not get it
          let failed: string[] = [];
          try {
            const reply = JSON.parse(result.body) as unknown;
            if (Array.isArray(reply))
              failed = reply
                .filter((r: { status?: unknown }) => r && r.status === 'error')
                .map(
                  (r: { number?: unknown; message?: unknown }) =>
                    `${String(r.number ?? '?')}: ${String(r.message ?? 'error')}`,
                );
          } catch {
            failed = [];
          }
          if (failed.length > 0)
            return {
              ok: false,
              retryable: false,
              reason: `SMSEagle refused: ${failed.join('; ').slice(0, 300)}`,
            };
          deps.logger.info(`alert '${content.ruleName}' sent to SMSEagle`);
          return { ok: true };
        }).then(hideSecrets(secrets)),
    };
  },
};
