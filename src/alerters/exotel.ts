/**
 * ElastAlert 2's `exotel`: an SMS (the rule name followed by exotel_message_body) through
 * Exotel's SMS API (POST /v1/Accounts/<sid>/Sms/send.json, Basic auth with the SID and token).
 */
import { z } from 'zod';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { retryAfterMs } from './http.ts';
import { readOptions } from './options.ts';
import { failed, isRetryableStatus, isSuccess, postForm, type Reply } from './send-request.ts';
import { basicAuth, seconds, transport } from './transport.ts';

const phone = z.union([z.string(), z.number()]).transform(String);

const schema = z.object({
  exotel_account_sid: z.string({ error: 'is required: the Account SID of the Exotel account' }),
  exotel_auth_token: z.string({ error: 'is required: the API token of the account' }),
  exotel_to_number: phone,
  exotel_from_number: phone,
  exotel_message_body: z.string().default(''),
  exotel_api_url: z.string().default('https://api.exotel.com'),
  exotel_timeout: seconds(10),
});

/** Exotel's error text, from {"RestException": {"Message"}} or the XML form. */
function exotelMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { RestException?: { Message?: unknown } }).RestException?.Message;
    if (typeof m === 'string') return m;
  } catch {
    // XML
  }
  return /<Message>([^<]{0,300})<\/Message>/.exec(body)?.[1] ?? body.slice(0, 200);
}

function readExotelReply(r: Reply): SendOutcome | undefined {
  if (isSuccess(r.status)) return undefined;
  const hint =
    r.status === 401 || r.status === 403 ? ' (check exotel_account_sid and exotel_auth_token)' : '';
  return failed(
    isRetryableStatus(r.status),
    `Exotel answered HTTP ${r.status}: ${exotelMessage(r.body)}${hint}`,
    retryAfterMs(r.headers),
  );
}

export const exotelAlerter: AlerterDefinition = {
  name: 'exotel',
  aliases: ['elastalert.alerters.exotel.ExotelAlerter'],
  summary: 'Exotel SMS with the rule name and exotel_message_body (Basic auth).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const url = `${o.exotel_api_url.replace(/\/+$/, '')}/v1/Accounts/${encodeURIComponent(o.exotel_account_sid)}/Sms/send.json`;
    const auth = basicAuth(o.exotel_account_sid, o.exotel_auth_token);
    const t = transport(o, 'exotel', deps);
    const spec = {
      service: 'Exotel',
      http: { ...t.http, headers: { Accept: 'application/json', Authorization: auth.header } },
      read: readExotelReply,
    };
    return channelAlerter({
      type: 'exotel',
      service: 'Exotel',
      channel: `exotel:${o.exotel_account_sid}:${o.exotel_to_number}`,
      info: { type: 'exotel', exotel_account: o.exotel_account_sid },
      secrets: auth.secrets,
      logger: deps.logger,
      send: (content, signal) =>
        postForm(
          url,
          {
            From: o.exotel_from_number,
            To: o.exotel_to_number,
            Body: content.ruleName + o.exotel_message_body,
          },
          spec,
          signal,
        ),
    });
  },
};
