/**
 * ElastAlert 2's `tencent_sms`: Tencent Cloud SMS SendSms (API 3.0, version 2021-01-11), signed
 * with TC3-HMAC-SHA256. Template parameters are read from the first match by JSON pointer (RFC 6901).
 */
import { z } from 'zod';
import { lookupField, pythonStr, type Doc } from '../model/lookup.ts';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { failed, isSuccess, type Reply, sendRequest } from './send-request.ts';
import { signTc3 } from './signing.ts';
import { checkUrl, seconds, transport } from './transport.ts';

const schema = z.object({
  tencent_sms_secret_id: z.string({ error: 'is required: the SecretId of a Tencent Cloud API key' }),
  tencent_sms_secret_key: z.string({ error: 'is required: the SecretKey of the API key' }),
  tencent_sms_sdk_appid: z.union([z.string(), z.number()]).transform(String),
  tencent_sms_to_number: z
    .union([z.string(), z.array(z.union([z.string(), z.number()]))])
    .transform((v) => (Array.isArray(v) ? v : [v]).map(String)),
  tencent_sms_template_id: z.union([z.string(), z.number()]).transform(String),
  tencent_sms_region: z.string().default('ap-guangzhou'),
  tencent_sms_sign_name: z.string().optional(),
  tencent_sms_template_parm: z.array(z.string()).default([]),
  tencent_sms_api_url: z.string().default('https://sms.tencentcloudapi.com'),
  tencent_sms_timeout: seconds(30),
});

/** RFC 6901: "/kubernetes/pod_name" -> the value, or undefined when a step is missing. */
export function jsonPointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  if (!pointer.startsWith('/')) return undefined;
  let value: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value) && /^(0|[1-9]\d*)$/.test(key)) value = value[Number(key)];
    else if (value !== null && typeof value === 'object' && Object.hasOwn(value, key))
      value = (value as Doc)[key];
    else return undefined;
  }
  return value;
}

const RETRYABLE =
  /^(InternalError|RequestLimitExceeded|ResourceUnavailable|LimitExceeded\.PhoneNumber(ThirtySecond|OneHour)Limit)/;

const HINTS: Record<string, string> = {
  'AuthFailure.SecretIdNotFound': 'check tencent_sms_secret_id',
  'AuthFailure.SignatureFailure': 'check tencent_sms_secret_key (it must belong to tencent_sms_secret_id)',
  'AuthFailure.SignatureExpire': "this host's clock is off by more than 5 minutes: sync it with NTP",
  'AuthFailure.UnauthorizedOperation': 'the API key may not send SMS: grant it the SMS permissions in CAM',
  'FailedOperation.SignatureIncorrectOrUnapproved': 'check tencent_sms_sign_name (an approved signature)',
  'FailedOperation.TemplateIncorrectOrUnapproved': 'check tencent_sms_template_id (an approved template)',
  'InvalidParameterValue.TemplateParameterFormatError':
    'check tencent_sms_template_parm against the template',
  'InvalidParameterValue.IncorrectPhoneNumber': 'check tencent_sms_to_number (E.164, e.g. +8613711112222)',
  'LimitExceeded.PhoneNumberThirtySecondLimit': 'one message per number per 30 seconds',
};

function failure(code: string, message: string, where: string): SendOutcome {
  const hint = HINTS[code];
  return failed(
    RETRYABLE.test(code),
    `${where}: ${code}: ${message}${hint ? ` (${hint})` : ''}`,
    code === 'LimitExceeded.PhoneNumberThirtySecondLimit' ? 30_000 : undefined,
  );
}

interface SendSmsResponse {
  Response?: {
    Error?: { Code?: string; Message?: string };
    SendStatusSet?: { Code?: string; Message?: string; PhoneNumber?: string }[];
  };
}

/** SendSms answers HTTP 200 with an Error, or a status per number. */
function readSendSms(where: string, numbers: readonly string[]) {
  return (r: Reply): SendOutcome | undefined => {
    if (!isSuccess(r.status)) return undefined;
    if (r.json === undefined) return failed(false, `${where} answered without JSON: ${r.body.slice(0, 200)}`);
    const reply = r.json as SendSmsResponse;
    const error = reply.Response?.Error;
    if (error) return failure(String(error.Code), String(error.Message ?? ''), where);
    const refused = (reply.Response?.SendStatusSet ?? []).filter((x) => x.Code !== 'Ok');
    if (refused.length === 0) return { ok: true };
    const outcomes = refused.map((x) =>
      failure(String(x.Code), `${x.PhoneNumber ?? '?'}: ${x.Message ?? ''}`, where),
    );
    // worth retrying only when every failure is
    const retryable = outcomes.every((x) => !x.ok && x.retryable);
    const sent = numbers.length - refused.length;
    return failed(
      retryable,
      `${outcomes.map((x) => (x.ok ? '' : x.reason)).join('; ')}${sent > 0 ? ` (${sent} other number(s) got it)` : ''}`,
      retryable ? 30_000 : undefined,
    );
  };
}

export const tencentSmsAlerter: AlerterDefinition = {
  name: 'tencent_sms',
  aliases: ['elastalert.alerters.tencentsms.TencentSMSAlerter'],
  summary:
    'Tencent Cloud SMS (SendSms, TC3-HMAC-SHA256 signed) with a template and parameters from the match.',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const url = new URL(
      checkUrl('tencent_sms_api_url', o.tencent_sms_api_url, 'https://sms.tencentcloudapi.com'),
    );
    const where = `Tencent SMS ${url.host}`;
    const t = transport(o, 'tencent_sms', deps);
    const read = readSendSms(where, o.tencent_sms_to_number);
    return channelAlerter({
      type: 'tencent_sms',
      service: where,
      channel: `tencent_sms:${o.tencent_sms_sdk_appid}:${o.tencent_sms_to_number.join(',')}`,
      info: { type: 'tencent sms', to_number: [...o.tencent_sms_to_number] },
      secrets: [o.tencent_sms_secret_key],
      logger: deps.logger,
      send: (content, signal) => {
        const first = content.matches[0] ?? {};
        const params: string[] = [];
        for (const pointer of o.tencent_sms_template_parm) {
          const value =
            jsonPointer(first, pointer) ??
            (pointer.startsWith('/') ? undefined : lookupField(first, pointer));
          if (value === undefined)
            return Promise.resolve(
              failed(
                false,
                `tencent_sms_template_parm "${pointer}": the match has no such field (write a JSON pointer such as /kubernetes/pod_name)`,
              ),
            );
          params.push(pythonStr(value));
        }
        const body = JSON.stringify({
          PhoneNumberSet: o.tencent_sms_to_number,
          SmsSdkAppId: o.tencent_sms_sdk_appid,
          ...(o.tencent_sms_sign_name !== undefined ? { SignName: o.tencent_sms_sign_name } : {}),
          TemplateId: o.tencent_sms_template_id,
          TemplateParamSet: params,
          ExtendCode: '',
        });
        const timestamp = Math.floor(Date.now() / 1000);
        const contentType = 'application/json; charset=utf-8';
        const authorization = signTc3(
          { method: 'POST', url, headers: { 'Content-Type': contentType }, body },
          {
            secretId: o.tencent_sms_secret_id,
            secretKey: o.tencent_sms_secret_key,
            service: 'sms',
            timestamp,
          },
        );
        const headers = {
          Authorization: authorization,
          'Content-Type': contentType,
          'X-TC-Action': 'SendSms',
          'X-TC-Version': '2021-01-11',
          'X-TC-Timestamp': String(timestamp),
          'X-TC-Region': o.tencent_sms_region,
          'X-TC-Language': 'en-US',
        };
        return sendRequest(
          url.toString(),
          body,
          { service: where, http: { ...t.http, headers }, read },
          signal,
        );
      },
    });
  },
};
