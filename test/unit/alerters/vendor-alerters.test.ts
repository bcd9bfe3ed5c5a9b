/**
 * The HTTP vendor alerters beyond the contract: Tencent SMS per-number results and template
 * parameters, TheHive's observables, tags and formatted fields, IRIS cases with IOCs, SMSEagle calls
 * and refusals, Twilio Messaging Services, Exotel's body and errors, ServiceNow through a proxy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AlerterDefinition, OptionProblem } from '../../../src/alerters/alerter.ts';
import { exotelAlerter } from '../../../src/alerters/exotel.ts';
import { hiveAlert, hivealerterAlerter, hiveArtifacts } from '../../../src/alerters/hivealerter.ts';
import { irisAlerter } from '../../../src/alerters/iris.ts';
import { servicenowAlerter } from '../../../src/alerters/servicenow.ts';
import { smseagleAlerter } from '../../../src/alerters/smseagle.ts';
import { jsonPointer, tencentSmsAlerter } from '../../../src/alerters/tencent-sms.ts';
import { twilioAlerter } from '../../../src/alerters/twilio.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';
import { startHttpProxy } from './support/http-proxy.ts';
import {
  type Reply,
  type Request,
  startVendorReceiver,
  type VendorReceiver,
} from '../../integration/support/http-receiver.ts';

const MATCH = {
  '@timestamp': '2024-05-14T03:21:09Z',
  src: { ip: '10.1.2.3' },
  user: 'ana',
  tags: ['a', 'b'],
  k8s: { 'pod/name': 'api-1' },
};
let rx: VendorReceiver;
let answer: (req: Request) => Reply = () => ({ body: {} });
beforeAll(async () => {
  rx = await startVendorReceiver({ check: () => undefined, respond: (req) => answer(req) });
});
afterAll(() => rx.close());
beforeEach(() => {
  rx.received.length = 0;
});

async function send(def: AlerterDefinition, options: Doc, matches: Doc[] = [MATCH], log = captureLog()) {
  const rule = { name: 'vendor rule', type: 'any', ...options };
  return def.create(rule, deps(log)).send(alertContent(rule, matches), signal());
}
const optionOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof OptionProblem ? err.option : String(err);
  }
  return undefined;
};

describe('tencent_sms', () => {
  const options = () => ({
    tencent_sms_secret_id: 'AKIDx',
    tencent_sms_secret_key: 'secret-key-x',
    tencent_sms_sdk_appid: 1400006666,
    tencent_sms_to_number: ['+8613711112222', '+8613711113333'],
    tencent_sms_template_id: 1123835,
    tencent_sms_template_parm: ['/user', '/k8s/pod~1name'],
    tencent_sms_api_url: rx.url,
  });
  const statuses =
    (...codes: string[]) =>
    () => ({
      body: {
        Response: {
          SendStatusSet: codes.map((Code, i) => ({
            Code,
            PhoneNumber: options().tencent_sms_to_number[i],
            Message: Code,
          })),
          RequestId: 'r',
        },
      },
    });

  it('reads template parameters by JSON pointer and sends numbers and ids as text', async () => {
    answer = statuses('Ok', 'Ok');
    expect(await send(tencentSmsAlerter, options())).toEqual({ ok: true });
    expect(rx.received[0]!.json).toMatchObject({
      SmsSdkAppId: '1400006666',
      TemplateId: '1123835',
      TemplateParamSet: ['ana', 'api-1'],
    });
    expect(jsonPointer({ a: [{ b: 1 }], 'x~y': 2 }, '/a/0/b')).toBe(1);
    expect(jsonPointer({ 'x~y': 2 }, '/x~0y')).toBe(2);
    expect(jsonPointer({ a: 1 }, '/b')).toBeUndefined();
  });

  it('one number rate-limited: retryable after 30 s; one number wrong: permanent with a hint', async () => {
    answer = statuses('Ok', 'LimitExceeded.PhoneNumberThirtySecondLimit');
    expect(await send(tencentSmsAlerter, options())).toMatchObject({
      ok: false,
      retryable: true,
      retryAfterMs: 30_000,
      reason: expect.stringMatching(/\+8613711113333.*1 other number/),
    });
    answer = statuses(
      'InvalidParameterValue.IncorrectPhoneNumber',
      'LimitExceeded.PhoneNumberThirtySecondLimit',
    );
    expect(await send(tencentSmsAlerter, options())).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/E\.164/),
    });
  });

  it('a parameter the match lacks fails before anything is sent', async () => {
    expect(
      await send(tencentSmsAlerter, { ...options(), tencent_sms_template_parm: ['/nope'] }),
    ).toMatchObject({ ok: false, retryable: false, reason: expect.stringMatching(/"\/nope"/) });
    expect(rx.received).toHaveLength(0);
  });
});

describe('hivealerter', () => {
  const config = {
    type: 'external',
    source: 'esalert',
    tags: ['tags', 'user', 'static-tag'],
    title: 'Login by {}',
    title_args: ['user'],
    description: '{0} from {1}',
    description_args: ['user', 'nope'],
    description_missing_value: '?',
  };

  it('fills tags from match lists, fields and literals; formats title and description; drops the *_args', () => {
    const content = alertContent({ name: 'r' }, [MATCH, { ...MATCH, user: 'bo', tags: 'c' }]);
    const alert = hiveAlert(
      config,
      [
        { ip: 'src.ip', tags: ['net'] },
        { tlp: 3, domain: 'src.ip' },
      ],
      content,
      Date.UTC(2024, 0, 1, 0, 0, 0, 500),
    );
    expect(alert).toMatchObject({
      title: 'Login by ana',
      description: 'ana from ?',
      date: Date.UTC(2024, 0, 1),
      tags: ['a', 'b', 'ana', 'static-tag', 'c', 'bo'],
    });
    expect(alert).not.toHaveProperty('title_args');
    expect(alert).not.toHaveProperty('description_missing_value');
    // only the first key of each mapping counts, as in ElastAlert 2: the second mapping starts with tlp
    expect(alert.artifacts).toEqual([
      { tlp: 2, tags: ['net'], message: null, dataType: 'ip', data: '10.1.2.3' },
      { tlp: 2, tags: ['net'], message: null, dataType: 'ip', data: '10.1.2.3' },
    ]);
    expect(hiveArtifacts([{ ip: 'no.field' }], MATCH, {})).toEqual([]);
  });

  it('needs type and source in hive_alert_config', () => {
    expect(
      optionOf(() =>
        hivealerterAlerter.create(
          { name: 'r', hive_connection: {}, hive_alert_config: { type: 't' } },
          deps(captureLog()),
        ),
      ),
    ).toBe('hive_alert_config');
  });
});

describe('iris', () => {
  it('a case, then each IOC with the case id; a failed IOC is permanent and says the case exists', async () => {
    answer = (req) =>
      req.pathname === '/manage/cases/add'
        ? { body: { status: 'success', data: { case_id: 12 } } }
        : { body: { status: 'success', data: {} } };
    const options = {
      iris_host: rx.url,
      iris_api_token: 'iris-token-abcdef',
      iris_type: 'case',
      iris_description: 'from esalert',
      iris_case_template_id: 3,
      iris_iocs: [
        { ioc_value: 'src.ip', ioc_type_id: 76 },
        { ioc_value: 'user', ioc_type_id: 3 },
        { ioc_value: 'missing', ioc_type_id: 1 },
      ],
    };
    expect(await send(irisAlerter, options)).toEqual({ ok: true });
    expect(rx.received.map((r) => r.pathname)).toEqual([
      '/manage/cases/add',
      '/case/ioc/add',
      '/case/ioc/add',
    ]);
    expect(rx.received[0]!.json).toMatchObject({
      case_customer: 1,
      case_name: 'vendor rule',
      case_description: 'from esalert',
      case_template_id: 3,
      case_soc_id: expect.stringMatching(/^SOC_[0-9a-f-]{6}$/),
    });
    expect(rx.received.slice(1).map((r) => r.json)).toEqual([
      { ioc_value: '10.1.2.3', ioc_type_id: 76, cid: 12 },
      { ioc_value: 'ana', ioc_type_id: 3, cid: 12 },
    ]);
    answer = (req) =>
      req.pathname === '/manage/cases/add'
        ? { body: { status: 'success', data: { case_id: 13 } } }
        : { status: 400, body: { status: 'error', message: 'bad ioc type' } };
    expect(await send(irisAlerter, options)).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/case 13.*the case itself was created/),
    });
  });
});

describe('smseagle', () => {
  it('calls: the call endpoint with duration and voice; refused recipients fail; no recipients is refused at load', async () => {
    answer = () => ({ body: [{ status: 'queued', number: '+48111' }] });
    expect(
      await send(smseagleAlerter, {
        smseagle_url: `${rx.url}/`,
        smseagle_token: 'tok-123456',
        smseagle_message_type: 'tts_adv',
        smseagle_to: '+48111',
        smseagle_text: 'wake up',
      }),
    ).toEqual({ ok: true });
    expect(rx.received[0]!.pathname).toBe('/api/v2/calls/tts_advanced');
    expect(rx.received[0]!.json).toEqual({ text: 'wake up', to: ['+48111'], duration: 10, voice_id: 1 });
    answer = () => ({ body: [{ status: 'error', number: '+48111', message: 'Invalid number' }] });
    expect(
      await send(smseagleAlerter, {
        smseagle_url: rx.url,
        smseagle_token: 'tok-123456',
        smseagle_message_type: 'sms',
        smseagle_to: '+48111',
      }),
    ).toMatchObject({ ok: false, retryable: false, reason: expect.stringMatching(/Invalid number/) });
    expect(
      optionOf(() =>
        smseagleAlerter.create(
          { name: 'r', smseagle_url: rx.url, smseagle_token: 't', smseagle_message_type: 'sms' },
          deps(captureLog()),
        ),
      ),
    ).toBe('smseagle_to');
  });
});

describe('twilio and exotel', () => {
  it('Twilio through a Messaging Service; the sender is required otherwise; a WhatsApp number alone is warned about', async () => {
    answer = () => ({ status: 201, body: { sid: 'SM1' } });
    const base = {
      twilio_account_sid: 'AC1',
      twilio_auth_token: 'tw-token-1234',
      twilio_to_number: '+14155550100',
      twilio_api_url: rx.url,
    };
    expect(
      await send(twilioAlerter, { ...base, twilio_use_copilot: true, twilio_message_service_sid: 'MG1' }),
    ).toEqual({ ok: true });
    expect(Object.fromEntries(rx.received[0]!.form)).toEqual({
      To: '+14155550100',
      Body: 'vendor rule',
      MessagingServiceSid: 'MG1',
    });
    expect(optionOf(() => twilioAlerter.create({ name: 'r', ...base }, deps(captureLog())))).toBe(
      'twilio_from_number',
    );
    expect(
      optionOf(() =>
        twilioAlerter.create({ name: 'r', ...base, twilio_use_copilot: true }, deps(captureLog())),
      ),
    ).toBe('twilio_message_service_sid');
    const log = captureLog();
    twilioAlerter.create(
      { name: 'r', ...base, twilio_to_number: 'whatsapp:+14155550100', twilio_from_number: '+14155238886' },
      deps(log),
    );
    expect(log.text()).toMatch(/whatsapp/);
  });

  it('Exotel appends the message body to the rule name and reads its XML errors', async () => {
    answer = () => ({ status: 200, body: {} });
    const options = {
      exotel_account_sid: 'sid1',
      exotel_auth_token: 'ex-token-1234',
      exotel_to_number: 9876543210,
      exotel_from_number: '080',
      exotel_message_body: ' disk full',
      exotel_api_url: rx.url,
    };
    expect(await send(exotelAlerter, options)).toEqual({ ok: true });
    expect(rx.received[0]!.form.get('Body')).toBe('vendor rule disk full');
    expect(rx.received[0]!.form.get('To')).toBe('9876543210');
    answer = () => ({
      status: 400,
      headers: { 'content-type': 'application/xml' },
      body: '<TwilioResponse><RestException><Status>400</Status><Message>Invalid From</Message></RestException></TwilioResponse>',
    });
    expect(await send(exotelAlerter, options)).toMatchObject({
      ok: false,
      retryable: false,
      reason: 'Exotel answered HTTP 400: Invalid From',
    });
  });
});

describe('servicenow', () => {
  it('goes through servicenow_proxy written as host:port', async () => {
    const proxy = await startHttpProxy();
    try {
      answer = () => ({ status: 201, body: { result: {} } });
      const options = {
        servicenow_rest_url: `${rx.url}/api/now/table/incident`,
        username: 'u',
        password: 'snow-pass-1234',
        short_description: 's',
        comments: 'c',
        assignment_group: 'g',
        category: 'c',
        subcategory: 's',
        cmdb_ci: 'ci',
        caller_id: 'x@example.com',
        servicenow_proxy: proxy.url.replace('http://', ''),
      };
      expect(await send(servicenowAlerter, options)).toEqual({ ok: true });
      expect(proxy.seen.map((s) => s.target)).toEqual([`${rx.url}/api/now/table/incident`]);
      expect(
        optionOf(() =>
          servicenowAlerter.create({ name: 'r', ...options, caller_id: undefined }, deps(captureLog())),
        ),
      ).toBe('caller_id');
    } finally {
      await proxy.close();
    }
  });
});
