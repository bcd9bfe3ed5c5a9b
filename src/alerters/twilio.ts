/**
 * ElastAlert 2's `twilio`: a text message with the rule name through Twilio's Messages API
 * (form POST, Basic auth with the account SID and auth token), from a number or a Messaging
 * Service (twilio_use_copilot). WhatsApp works the same way with `whatsapp:+...` numbers.
 */
import { z } from 'zod';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { guarded, httpOutcome, httpSend } from './http.ts';
import { readOptions } from './options.ts';
import { basicAuth, hideSecrets, timeoutOption, vendorHttp } from './vendor-http.ts';

const phone = z.union([z.string(), z.number()]).transform(String);

const schema = z.object({
  twilio_account_sid: z.string({ error: 'is required: the Account SID (AC...)' }),
  twilio_auth_token: z.string({ error: 'is required: the auth token of the account' }),
  twilio_to_number: phone,
  twilio_from_number: phone.optional(),
  twilio_message_service_sid: z.string().optional(),
  twilio_use_copilot: z.boolean().default(false),
  twilio_api_url: z.string().default('https://api.twilio.com'),
  twilio_timeout: timeoutOption(10),
});

/** What to fix for Twilio's error codes (https://www.twilio.com/docs/api/errors). */
const HINTS: Record<number, string> = {
  20003: 'check twilio_account_sid and twilio_auth_token',
  20404: 'check twilio_account_sid',
  21211: 'twilio_to_number is not a valid phone number (E.164, e.g. +14155550100, or whatsapp:+...)',
  21606: 'twilio_from_number is not a Twilio number of this account that can send messages',
  21610: 'the recipient has replied STOP and unsubscribed',
  21408: 'the account may not send to this region (Geo permissions)',
  63007: 'twilio_from_number is not a WhatsApp sender of this account',
};

export const twilioAlerter: AlerterDefinition = {
  name: 'twilio',
  aliases: ['elastalert.alerters.twilio.TwilioAlerter'],
  summary: 'Twilio SMS or WhatsApp message with the rule name (Messages API, Basic auth).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    if (o.twilio_use_copilot && !o.twilio_message_service_sid)
      throw new OptionProblem(
        'twilio_message_service_sid',
        'is required with twilio_use_copilot: the Messaging Service SID (MG...)',
      );
    if (!o.twilio_use_copilot && !o.twilio_from_number)
      throw new OptionProblem(
        'twilio_from_number',
        'is required (or set twilio_use_copilot and twilio_message_service_sid)',
      );
    if (
      /^whatsapp:/i.test(o.twilio_to_number) !==
        /^whatsapp:/i.test(o.twilio_from_number ?? o.twilio_to_number) &&
      !o.twilio_use_copilot
    )
      deps.logger.warn(
        'twilio_to_number and twilio_from_number should both be whatsapp:+... numbers to send through WhatsApp',
      );
    const url = `${o.twilio_api_url.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(o.twilio_account_sid)}/Messages.json`;
    const auth = basicAuth(o.twilio_account_sid, o.twilio_auth_token);
    const http = vendorHttp({ body: 'form', authorization: auth.header, timeoutSeconds: o.twilio_timeout });
    return {
      type: 'twilio',
      channel: `twilio:${o.twilio_account_sid}:${o.twilio_to_number}`,
      info: () => ({ type: 'twilio', twilio_client_name: o.twilio_from_number ?? null }),
      secrets: () => [...auth.secrets],
      send: (content, signal) =>
        guarded(async (): Promise<SendOutcome> => {
          const form = new URLSearchParams({
            To: o.twilio_to_number,
            Body: content.ruleName,
            ...(o.twilio_use_copilot
              ? { MessagingServiceSid: o.twilio_message_service_sid! }
              : { From: o.twilio_from_number! }),
          });
          const result = await httpSend(url, form.toString(), http, signal);
          const outcome = httpOutcome(url, result);
          if (outcome.ok) {
            deps.logger.info('trigger sent to Twilio');
            return outcome;
          }
          let code: number | undefined;
          let message = '';
          try {
            const reply = JSON.parse(result.body) as { code?: unknown; message?: unknown };
            code = typeof reply.code === 'number' ? reply.code : undefined;
            message = typeof reply.message === 'string' ? reply.message : '';
          } catch {
            code = undefined;
          }
          const hint = code !== undefined ? HINTS[code] : undefined;
          return {
            ...outcome,
            reason: `Twilio answered HTTP ${result.status}${code !== undefined ? ` (error ${code})` : ''}: ${message || result.body.slice(0, 200)}${hint ? ` (${hint})` : ''}`,
          };
        }).then(hideSecrets(auth.secrets)),
    };
  },
};
