/**
 * ElastAlert 2's `twilio`: a text message with the rule name through Twilio's Messages API
 * (form POST, Basic auth with the account SID and auth token), from a number or a Messaging
 * Service (twilio_use_copilot). WhatsApp works the same way with `whatsapp:+...` numbers.
 */
import { z } from 'zod';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { retryAfterMs } from './http.ts';
import { readOptions } from './options.ts';
import { failed, isRetryableStatus, isSuccess, postForm, type Reply, replyObject } from './send-request.ts';
import { basicAuth, seconds, transport } from './transport.ts';

const phone = z.union([z.string(), z.number()]).transform(String);

const schema = z.object({
  twilio_account_sid: z.string({ error: 'is required: the Account SID (AC...)' }),
  twilio_auth_token: z.string({ error: 'is required: the auth token of the account' }),
  twilio_to_number: phone,
  twilio_from_number: phone.optional(),
  twilio_message_service_sid: z.string().optional(),
  twilio_use_copilot: z.boolean().default(false),
  twilio_api_url: z.string().default('https://api.twilio.com'),
  twilio_timeout: seconds(10),
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

/** Twilio's error reply {"code", "message"}: the code's hint when esalert knows one. */
function readTwilioReply(r: Reply): SendOutcome | undefined {
  if (isSuccess(r.status)) return undefined;
  const j = replyObject(r);
  const code = typeof j?.code === 'number' ? j.code : undefined;
  const message = typeof j?.message === 'string' ? j.message : '';
  const hint = code !== undefined ? HINTS[code] : undefined;
  const after = retryAfterMs(r.headers);
  return failed(
    isRetryableStatus(r.status),
    `Twilio answered HTTP ${r.status}${code !== undefined ? ` (error ${code})` : ''}: ${message || r.body.slice(0, 200)}${hint ? ` (${hint})` : ''}`,
    after,
  );
}

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
    const t = transport(o, 'twilio', deps);
    const spec = {
      service: 'Twilio',
      http: { ...t.http, headers: { Accept: 'application/json', Authorization: auth.header } },
      read: readTwilioReply,
    };
    return channelAlerter({
      type: 'twilio',
      service: 'Twilio',
      channel: `twilio:${o.twilio_account_sid}:${o.twilio_to_number}`,
      info: { type: 'twilio', twilio_client_name: o.twilio_from_number ?? null },
      secrets: auth.secrets,
      logger: deps.logger,
      send: (content, signal) =>
        postForm(
          url,
          {
            To: o.twilio_to_number,
            Body: content.ruleName,
            ...(o.twilio_use_copilot
              ? { MessagingServiceSid: o.twilio_message_service_sid! }
              : { From: o.twilio_from_number! }),
          },
          spec,
          signal,
        ),
    });
  },
};
