/**
 * sns, sqs and ses beyond the contract: regions taken from ARNs and queue URLs, credentials from a
 * profile in the shared files (found through the environment), subjects SNS accepts, SQS's size
 * rules, SES recipients and subjects; every request checked by the receiver's SigV4 verifier.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlerterDefinition } from '../../../src/alerters/alerter.ts';
import { sesAlerter } from '../../../src/alerters/ses.ts';
import { snsAlerter, snsSubject } from '../../../src/alerters/sns.ts';
import { sqsAlerter, sqsMessage } from '../../../src/alerters/sqs.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { alertContent, captureLog, signal } from './support/alert-content.ts';
import { verifySigV4 } from './support/cloud-signatures.ts';
import { header, startVendorReceiver, type VendorReceiver } from '../../integration/support/http-receiver.ts';

const home = mkdtempSync(join(tmpdir(), 'esalert-aws-alerters-'));
writeFileSync(
  join(home, 'credentials'),
  '[alerts]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profile-secret-key\naws_session_token = profile-session-token\n',
);
writeFileSync(join(home, 'config'), '[profile alerts]\nregion = eu-north-1\n');
const ENV: Record<string, string> = {
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
  AWS_CONFIG_FILE: join(home, 'config'),
};
const SECRETS = { AKIAPROFILE: 'profile-secret-key', AKIARULE: 'rule-secret-key' };

let rx: VendorReceiver;
/** Region and service the next requests must be signed for. */
let expectScope = { region: 'us-east-1', service: 'sns' };
beforeAll(async () => {
  rx = await startVendorReceiver({
    check: (req) => verifySigV4(req, { secrets: SECRETS, ...expectScope }),
    respond: () => ({ body: '<Response/>' }),
  });
});
afterAll(() => rx.close());
beforeEach(() => {
  rx.received.length = 0;
  rx.problems.length = 0;
});

const MATCH = { '@timestamp': '2024-05-14T03:21:09Z', user: 'ana', host: 'web-1' };
async function send(
  def: AlerterDefinition,
  options: Doc,
  env: Record<string, string> = {},
  matches: Doc[] = [MATCH],
) {
  const log = captureLog();
  const rule = { name: 'aws rule', type: 'any', ...options };
  const alerter = def.create(rule, { logger: log.logger, ruleDir: home, env: (n) => env[n] });
  const outcome = await alerter.send(alertContent(rule, matches), signal());
  return { outcome, alerter, log };
}

describe('sns', () => {
  it("signs for the topic ARN's region and cleans up the subject", async () => {
    expectScope = { region: 'ap-northeast-1', service: 'sns' };
    const { outcome } = await send(snsAlerter, {
      sns_topic_arn: 'arn:aws:sns:ap-northeast-1:123456789012:t',
      sns_aws_access_key_id: 'AKIARULE',
      sns_aws_secret_access_key: 'rule-secret-key',
      sns_endpoint_url: rx.url,
      alert_subject: `Disk\nfull on ${'x'.repeat(200)}`,
    });
    expect(outcome).toEqual({ ok: true });
    expect(rx.received[0]!.form.get('Subject')).toBe(`Disk full on ${'x'.repeat(86)}`);
  });

  it("takes a profile's keys, session token and region from the shared files the environment names", async () => {
    expectScope = { region: 'us-east-1', service: 'sns' };
    const { outcome, alerter } = await send(
      snsAlerter,
      {
        sns_topic_arn: 'arn:aws:sns:us-east-1:123456789012:t',
        sns_aws_profile: 'alerts',
        sns_endpoint_url: rx.url,
        alert_subject: '磁盘已满',
      },
      ENV,
    );
    expect(outcome).toEqual({ ok: true });
    expect(header(rx.received[0]!, 'x-amz-security-token')).toBe('profile-session-token');
    expect(rx.received[0]!.form.has('Subject')).toBe(false);
    expect(alerter.secrets()).toEqual(
      expect.arrayContaining(['profile-secret-key', 'profile-session-token']),
    );
  });

  it('without credentials anywhere, fails permanently saying what to set', async () => {
    const { outcome } = await send(
      snsAlerter,
      { sns_topic_arn: 'arn:aws:sns:us-east-1:1:t', sns_endpoint_url: rx.url },
      { HOME: join(home, 'none') },
    );
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/no AWS credentials found.*sns_aws_access_key_id/),
    });
    expect(rx.received).toHaveLength(0);
  });

  it('refuses a topic that is not an ARN when the rule loads', () => {
    expect(() =>
      snsAlerter.create(
        { name: 'r', sns_topic_arn: 'alerts' },
        { logger: captureLog().logger, ruleDir: home },
      ),
    ).toThrow(/topic ARN/);
    expect(snsSubject('ok subject')).toBe('ok subject');
    expect(snsSubject('\n')).toBeUndefined();
  });
});

describe('sqs', () => {
  it("signs for the queue URL's region; the profile's region does not override it", async () => {
    expectScope = { region: 'ap-south-1', service: 'sqs' };
    const { outcome } = await send(
      sqsAlerter,
      {
        sqs_queue_url: 'https://sqs.ap-south-1.amazonaws.com/123456789012/alerts',
        sqs_aws_profile: 'alerts',
        sqs_endpoint_url: rx.url,
      },
      ENV,
    );
    expect(outcome).toEqual({ ok: true });
    expect((rx.received[0]!.json as Doc).QueueUrl).toBe(
      'https://sqs.ap-south-1.amazonaws.com/123456789012/alerts',
    );
  });

  it('crops long texts and drops them when the message would pass 1 MiB, as ElastAlert 2 does', () => {
    const long = JSON.parse(sqsMessage({ ruleName: 'r', matches: [], body: 'x'.repeat(900_000) })) as Doc;
    expect(long.text).toMatch(/\*message was cropped according to SQS limits!\*$/);
    expect(Array.from(String(long.text)).length).toBe(
      800_000 + '\n*message was cropped according to SQS limits!*'.length,
    );
    const huge = JSON.parse(
      sqsMessage({ ruleName: 'r', matches: [{ blob: 'x'.repeat(1_100_000) }], body: 'short' }),
    ) as Doc;
    expect(huge.text).toBe('Text message omitted due to SQS size limit.');
  });
});

describe('ses', () => {
  it('recipients from a match field with a domain; both spellings of the key options; the default subject', async () => {
    expectScope = { region: 'us-east-1', service: 'ses' };
    const { outcome } = await send(sesAlerter, {
      ses_email: 'fallback@example.com',
      ses_from_addr: 'esalert@example.com',
      ses_email_from_field: 'user',
      ses_email_add_domain: 'example.com',
      ses_bcc: ['audit@example.com'],
      ses_aws_access_key: 'AKIARULE',
      ses_aws_secret_key: 'rule-secret-key',
      ses_endpoint_url: rx.url,
      query_key: 'host',
    });
    expect(outcome).toEqual({ ok: true });
    const form = Object.fromEntries(rx.received[0]!.form.entries());
    expect(form).toMatchObject({
      'Destination.ToAddresses.member.1': 'ana@example.com',
      'Destination.BccAddresses.member.1': 'audit@example.com',
      'Message.Subject.Data': 'ElastAlert 2: aws rule - web-1',
    });
    expect(form).not.toHaveProperty('Destination.CcAddresses.member.1');
  });
});
