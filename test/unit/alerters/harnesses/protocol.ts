/**
 * Contract harnesses for the protocol, cloud, ticketing and SMS alerters. Each drives its alerter
 * against a receiver on 127.0.0.1 that checks what the vendor documents: signatures recomputed on
 * the receiver side (SigV4, TC3), auth headers, body shapes, the Zabbix sender protocol, GELF 1.1,
 * STOMP frames and receipts. A request that does not conform is refused, so delivery fails.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Doc } from '../../../../src/model/lookup.ts';
import { verifySigV4, verifyTc3 } from '../support/cloud-signatures.ts';
import { checkGelf } from '../support/gelf-listener.ts';
import { startStompBroker } from '../support/stomp-broker.ts';
import { header, type Receiver, type Request } from '../../../integration/support/http-receiver.ts';
import { startZabbixServer } from '../support/zabbix-server.ts';
import { checkBasic, type Harness, SLOW_MS, TIMEOUT_S, vendorHarness } from './shared.ts';

const AWS_KEY_ID = 'AKIAESALERTEXAMPLE01';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYesalertKEY';
const TENCENT_ID = 'AKIDesalertExampleSecretId0001';
const TENCENT_KEY = 'tencent-secret-key-5f4e3d2c1b0a';
const JIRA_PASSWORD = 'jira-api-token-0a1b2c3d4e5f';
const SNOW_PASSWORD = 'snow-password-9f8e7d6c';
const HIVE_KEY = 'hive-api-key-7d6c5b4a3928';
const IRIS_TOKEN = 'iris-api-token-b1a2c3d4e5f6';
const SMSEAGLE_TOKEN = 'smseagle-token-00f1e2d3';
const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';
const TWILIO_TOKEN = 'twilio-auth-token-1357924680ab';
const EXOTEL_TOKEN = 'exotel-token-24680ace13579';
const ES_PASSWORD = 'es-password-correct-battery';
const GELF_TOKEN = 'Bearer gelf-input-token-5566778899';
const STOMP_PASSWORD = 'stomp-passcode-abcdef123456';

const first = (...problems: (string | false | undefined)[]) =>
  problems.find((p): p is string => typeof p === 'string');
const is = (req: Request, method: string, path: string) =>
  req.method !== method || req.pathname !== path ? `expected ${method} ${path}` : undefined;
const contentType = (req: Request, wanted: RegExp) =>
  wanted.test(header(req, 'content-type') ?? '')
    ? undefined
    : `Content-Type ${header(req, 'content-type')} is not ${wanted}`;
const bearer = (req: Request, token: string) =>
  header(req, 'authorization') === `Bearer ${token}` ? undefined : 'missing or wrong Bearer token';
const formOf = (req: Request) => Object.fromEntries(req.form.entries());
const awsXmlError = (code: string, message: string) =>
  `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`;

/** Commands write what they got here; a mode file makes the next run fail or stall. */
function commandHarness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-command-'));
  const script = join(dir, 'recorder.mjs');
  const out = join(dir, 'runs.ndjson');
  const mode = join(dir, 'mode');
  writeFileSync(
    script,
    `import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
const [out, modeFile, ...args] = process.argv.slice(2);
const mode = existsSync(modeFile) ? readFileSync(modeFile, 'utf8') : '';
if (mode) rmSync(modeFile);
let stdin = '';
for await (const chunk of process.stdin) stdin += chunk;
if (mode === 'slow') await new Promise((r) => setTimeout(r, ${SLOW_MS}));
if (mode === 'transient') { process.stderr.write('the queue is busy, try later'); process.exit(75); }
if (mode === 'permanent') { process.stderr.write('usage: recorder --reason R NAME'); process.exit(2); }
appendFileSync(out, JSON.stringify({ args, stdin }) + '\\n');
`,
  );
  writeFileSync(out, '');
  return {
    options: {
      command: [
        process.execPath,
        script,
        out,
        mode,
        '--reason',
        '%(event.reason)s',
        '{event[involvedObject][name]}',
      ],
      pipe_alert_text: true,
      fail_on_non_zero_exit: true,
    },
    timeout: { command_timeout: TIMEOUT_S },
    secrets: [],
    ruleDir: dir,
    transient: () => writeFileSync(mode, 'transient'),
    permanent: () => writeFileSync(mode, 'permanent'),
    slow: () => writeFileSync(mode, 'slow'),
    received: () =>
      readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as unknown),
    close: async () => undefined,
  };
}

async function zabbixHarness(): Promise<Harness> {
  const z = await startZabbixServer(['prod-k8s/k8s.backoff']);
  return {
    options: {
      zbx_sender_host: '127.0.0.1',
      zbx_sender_port: z.port,
      zbx_host: 'prod-k8s',
      zbx_key: 'k8s.backoff',
    },
    timeout: { zbx_timeout: TIMEOUT_S },
    secrets: [],
    transient: () => (z.next = 'close'),
    permanent: () => (z.failNext = true),
    slow: () => (z.next = 'slow'),
    received: () => [...z.requests, ...z.problems.map((problem) => ({ problem }))],
    close: () => z.close(),
  };
}

async function stompHarness(): Promise<Harness> {
  const b = await startStompBroker('esalert', STOMP_PASSWORD);
  return {
    options: {
      stomp_hostname: '127.0.0.1',
      stomp_hostport: String(b.port),
      stomp_login: 'esalert',
      stomp_password: STOMP_PASSWORD,
      stomp_destination: '/queue/esalert',
    },
    timeout: { stomp_timeout: TIMEOUT_S },
    secrets: [STOMP_PASSWORD],
    transient: () => (b.next = 'hangup'),
    permanent: () => (b.next = 'error'),
    slow: () => (b.next = 'slow'),
    received: () => [
      ...b.messages.map((m) => {
        const { alertDate, rule_file, ...body } = JSON.parse(m.body) as Doc;
        return {
          destination: m.destination,
          contentType: m.headers['content-type'],
          hasReceipt: Boolean(m.headers.receipt),
          alertDate: typeof alertDate === 'string' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(alertDate),
          rule_file,
          body,
        };
      }),
      ...b.problems.map((problem) => ({ problem })),
    ],
    close: () => b.close(),
  };
}

const awsShow = (req: Request) => ({
  method: req.method,
  path: req.pathname,
  contentType: header(req, 'content-type'),
  signedHeaders: /SignedHeaders=([^,]+)/.exec(header(req, 'authorization') ?? '')?.[1],
  ...(req.json ? { json: req.json } : { form: formOf(req) }),
});

export const PROTOCOL_HARNESSES: Record<string, () => Promise<Harness>> = {
  command: async () => commandHarness(),
  zabbix: zabbixHarness,
  stomp: stompHarness,

  gelf: () =>
    vendorHarness(
      (rx) => ({
        options: {
          gelf_type: 'http',
          gelf_endpoint: `${rx.url}/gelf`,
          gelf_http_headers: { Authorization: GELF_TOKEN },
          gelf_payload: {
            reason: 'event.reason',
            pod: 'event.involvedObject.name',
            missing: 'no.such.field',
          },
          gelf_log_level: 4,
        },
        timeout: { gelf_timeout: TIMEOUT_S },
        secrets: [GELF_TOKEN],
      }),
      {
        ok: () => ({ status: 202 }),
        check: (req) =>
          first(
            is(req, 'POST', '/gelf'),
            contentType(req, /^application\/json/),
            header(req, 'authorization') !== GELF_TOKEN && 'missing the configured Authorization header',
            checkGelf(req.json),
          ),
        transient: { status: 503, body: 'journal full' },
        permanent: (s) => ({ status: 400, body: `invalid GELF message for ${s}` }),
        project: (req) => ({ ...(req.json as Doc), host: '<hostname>' }),
      },
    ),

  sns: () =>
    vendorHarness(
      (rx) => ({
        options: {
          sns_topic_arn: 'arn:aws:sns:us-east-1:123456789012:esalert-alerts',
          sns_aws_access_key_id: AWS_KEY_ID,
          sns_aws_secret_access_key: AWS_SECRET,
          sns_endpoint_url: `${rx.url}/`,
        },
        timeout: { sns_timeout: TIMEOUT_S },
        secrets: [AWS_SECRET],
      }),
      {
        ok: () => ({
          headers: { 'content-type': 'text/xml' },
          body: '<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>',
        }),
        check: (req) => {
          const f = req.form;
          const subject = f.get('Subject');
          return first(
            is(req, 'POST', '/'),
            contentType(req, /^application\/x-www-form-urlencoded/),
            verifySigV4(req, { secrets: { [AWS_KEY_ID]: AWS_SECRET }, region: 'us-east-1', service: 'sns' }),
            f.get('Action') !== 'Publish' && 'Action must be Publish',
            f.get('Version') !== '2010-03-31' && 'Version must be 2010-03-31',
            f.get('TopicArn') !== 'arn:aws:sns:us-east-1:123456789012:esalert-alerts' && 'wrong TopicArn',
            !f.get('Message') && 'Message is required',
            subject !== null &&
              !/^[\x20-\x7e]{1,99}$/.test(subject) &&
              'InvalidParameter: Subject must be ASCII, under 100 characters, one line',
          );
        },
        transient: { status: 400, body: awsXmlError('Throttling', 'Rate exceeded') },
        permanent: (s) => ({
          status: 403,
          body: awsXmlError(
            'SignatureDoesNotMatch',
            `The request signature we calculated does not match (${s})`,
          ),
        }),
        project: awsShow,
      },
    ),

  sqs: () =>
    vendorHarness(
      (rx) => ({
        options: {
          sqs_queue_url: `${rx.url}/123456789012/esalert-alerts`,
          sqs_aws_access_key_id: AWS_KEY_ID,
          sqs_aws_secret_access_key: AWS_SECRET,
          sqs_aws_region: 'eu-west-1',
        },
        timeout: { sqs_timeout: TIMEOUT_S },
        secrets: [AWS_SECRET],
      }),
      {
        ok: () => ({
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: { MD5OfMessageBody: '0'.repeat(32), MessageId: 'm-1' },
        }),
        check: (req) => {
          const j = req.json as { QueueUrl?: string; MessageBody?: string } | undefined;
          let message: Doc | undefined;
          try {
            message = JSON.parse(j?.MessageBody ?? '') as Doc;
          } catch {
            message = undefined;
          }
          return first(
            is(req, 'POST', '/'),
            contentType(req, /^application\/x-amz-json-1\.0$/),
            header(req, 'x-amz-target') !== 'AmazonSQS.SendMessage' &&
              'X-Amz-Target must be AmazonSQS.SendMessage',
            verifySigV4(req, { secrets: { [AWS_KEY_ID]: AWS_SECRET }, region: 'eu-west-1', service: 'sqs' }),
            !/x-amz-target/.test(header(req, 'authorization') ?? '') && 'X-Amz-Target is not signed',
            !j?.QueueUrl?.endsWith('/123456789012/esalert-alerts') && 'wrong QueueUrl',
            (!message || typeof message.rule_name !== 'string' || !Array.isArray(message.matches)) &&
              'MessageBody must be JSON with rule_name, matches and text',
          );
        },
        transient: {
          status: 400,
          body: { __type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate exceeded' },
        },
        permanent: (s) => ({
          status: 400,
          body: {
            __type: 'com.amazonaws.sqs#QueueDoesNotExist',
            message: `The specified queue does not exist (${s})`,
          },
        }),
        project: (req) => {
          const j = req.json as { QueueUrl: string; MessageBody: string };
          return {
            ...awsShow(req),
            json: {
              QueueUrl: j.QueueUrl.replace(/:\d+\//, ':<port>/'),
              MessageBody: JSON.parse(j.MessageBody) as unknown,
            },
          };
        },
      },
    ),

  ses: () =>
    vendorHarness(
      (rx) => ({
        options: {
          ses_email: ['ops@example.com', 'sre@example.com'],
          ses_from_addr: 'esalert@example.com',
          ses_cc: 'lead@example.com',
          ses_email_reply_to: 'noreply@example.com',
          ses_aws_access_key_id: AWS_KEY_ID,
          ses_aws_secret_access_key: AWS_SECRET,
          ses_aws_region: 'eu-central-1',
          ses_endpoint_url: rx.url,
        },
        timeout: { ses_timeout: TIMEOUT_S },
        secrets: [AWS_SECRET],
      }),
      {
        ok: () => ({
          headers: { 'content-type': 'text/xml' },
          body: '<SendEmailResponse><SendEmailResult><MessageId>m-1</MessageId></SendEmailResult></SendEmailResponse>',
        }),
        check: (req) => {
          const f = req.form;
          return first(
            is(req, 'POST', '/'),
            contentType(req, /^application\/x-www-form-urlencoded/),
            verifySigV4(req, {
              secrets: { [AWS_KEY_ID]: AWS_SECRET },
              region: 'eu-central-1',
              service: 'ses',
            }),
            f.get('Action') !== 'SendEmail' && 'Action must be SendEmail',
            f.get('Version') !== '2010-12-01' && 'Version must be 2010-12-01',
            !f.get('Source') && 'Source is required',
            !f.get('Destination.ToAddresses.member.1') && 'Destination.ToAddresses.member.1 is required',
            !f.get('Message.Subject.Data') && 'Message.Subject.Data is required',
            !f.get('Message.Body.Text.Data') && 'Message.Body.Text.Data is required',
          );
        },
        transient: { status: 503, body: awsXmlError('ServiceUnavailable', 'try again') },
        permanent: (s) => ({
          status: 400,
          body: awsXmlError('MessageRejected', `Email address is not verified (${s})`),
        }),
        project: awsShow,
      },
    ),

  tencent_sms: () =>
    vendorHarness(
      (rx) => ({
        options: {
          tencent_sms_secret_id: TENCENT_ID,
          tencent_sms_secret_key: TENCENT_KEY,
          tencent_sms_sdk_appid: '1400006666',
          tencent_sms_to_number: ['+8613711112222'],
          tencent_sms_sign_name: 'esalert',
          tencent_sms_template_id: '1123835',
          tencent_sms_template_parm: ['/event/involvedObject/name', '/event/reason'],
          tencent_sms_api_url: rx.url,
        },
        timeout: { tencent_sms_timeout: TIMEOUT_S },
        secrets: [TENCENT_KEY],
      }),
      {
        ok: (req) => ({
          body: {
            Response: {
              SendStatusSet: (
                ((req.json as Doc | undefined)?.PhoneNumberSet as string[] | undefined) ?? []
              ).map((n) => ({
                SerialNo: '2028:1',
                PhoneNumber: n,
                Fee: 1,
                SessionContext: '',
                Code: 'Ok',
                Message: 'send success',
                IsoCode: 'CN',
              })),
              RequestId: 'r-1',
            },
          },
        }),
        check: (req) => {
          const j = req.json as Doc | undefined;
          return first(
            is(req, 'POST', '/'),
            contentType(req, /^application\/json; charset=utf-8$/),
            header(req, 'x-tc-action') !== 'SendSms' && 'X-TC-Action must be SendSms',
            header(req, 'x-tc-version') !== '2021-01-11' && 'X-TC-Version must be 2021-01-11',
            header(req, 'x-tc-region') !== 'ap-guangzhou' && 'X-TC-Region must be the region',
            verifyTc3(req, { secrets: { [TENCENT_ID]: TENCENT_KEY }, service: 'sms' }),
            (!Array.isArray(j?.PhoneNumberSet) ||
              !(j.PhoneNumberSet as unknown[]).every(
                (n) => typeof n === 'string' && /^\+\d{6,15}$/.test(n),
              )) &&
              'PhoneNumberSet must be E.164 numbers',
            typeof j?.SmsSdkAppId !== 'string' && 'SmsSdkAppId must be a string',
            typeof j?.TemplateId !== 'string' && 'TemplateId must be a string',
            (!Array.isArray(j?.TemplateParamSet) ||
              !(j.TemplateParamSet as unknown[]).every((p) => typeof p === 'string')) &&
              'TemplateParamSet must be strings',
          );
        },
        transient: {
          body: {
            Response: {
              Error: { Code: 'RequestLimitExceeded', Message: 'too many requests' },
              RequestId: 'r-2',
            },
          },
        },
        permanent: (s) => ({
          body: {
            Response: {
              Error: { Code: 'AuthFailure.SignatureFailure', Message: `signature mismatch for ${s}` },
              RequestId: 'r-3',
            },
          },
        }),
        project: (req) => ({ method: req.method, action: header(req, 'x-tc-action'), json: req.json }),
      },
    ),

  jira: async () => {
    const ruleDir = mkdtempSync(join(tmpdir(), 'esalert-jira-'));
    writeFileSync(join(ruleDir, 'jira_acct.yaml'), `user: esalert@example.com\npassword: ${JIRA_PASSWORD}\n`);
    const priorities = [
      { id: '1', name: 'Highest' },
      { id: '2', name: 'High' },
      { id: '3', name: 'Medium' },
    ];
    return vendorHarness(
      (rx) => ({
        options: {
          jira_server: rx.url,
          jira_project: 'OPS',
          jira_issuetype: 'Bug',
          jira_account_file: 'jira_acct.yaml',
          jira_components: 'k8s',
          jira_labels: ['esalert', 'backoff'],
          jira_priority: 1,
          jira_assignee: 'sre-lead',
          jira_watchers: ['oncall'],
          jira_description: 'Raised by esalert.',
          jira_affected_pod: '#event.involvedObject.name',
        },
        timeout: { jira_timeout: TIMEOUT_S },
        secrets: [JIRA_PASSWORD],
        ruleDir,
      }),
      {
        ok: (req) => {
          const route = `${req.method} ${req.pathname}`;
          switch (route) {
            case 'GET /rest/api/2/serverInfo':
              return { body: { deploymentType: 'Server', version: '9.12.0' } };
            case 'GET /rest/api/2/priority':
              return { body: priorities };
            case 'GET /rest/api/2/field':
              return {
                body: [
                  { id: 'summary', name: 'Summary', schema: { type: 'string', system: 'summary' } },
                  {
                    id: 'customfield_10100',
                    name: 'Affected Pod',
                    custom: true,
                    schema: {
                      type: 'string',
                      custom: 'com.atlassian.jira.plugin.system.customfieldtypes:textfield',
                      customId: 10100,
                    },
                  },
                ],
              };
            case 'POST /rest/api/2/issue':
              return {
                status: 201,
                body: { id: '10001', key: 'OPS-1', self: 'http://jira/rest/api/2/issue/10001' },
              };
            case 'PUT /rest/api/2/issue/OPS-1/assignee':
            case 'POST /rest/api/2/issue/OPS-1/watchers':
              return { status: 204 };
            default:
              return { status: 404, body: { errorMessages: [`no route ${route}`], errors: {} } };
          }
        },
        check: (req) => {
          const auth = checkBasic(req, 'esalert@example.com', JIRA_PASSWORD);
          if (auth) return auth;
          if (req.method !== 'GET' && !/^application\/json/.test(header(req, 'content-type') ?? ''))
            return 'bodies must be JSON';
          if (req.method === 'POST' && req.pathname === '/rest/api/2/issue') {
            const f = (req.json as { fields?: Doc } | undefined)?.fields;
            return first(
              !f && 'the body must be {"fields": {...}}',
              (f?.project as Doc | undefined)?.key !== 'OPS' && 'fields.project.key must be the project key',
              typeof (f?.issuetype as Doc | undefined)?.name !== 'string' &&
                'fields.issuetype.name is required',
              (typeof f?.summary !== 'string' || /\n/.test(f.summary)) &&
                'fields.summary must be one line of text',
              typeof f?.description !== 'string' && 'fields.description must be text (API v2)',
              f?.priority !== undefined &&
                !priorities.some((p) => p.id === (f.priority as Doc).id) &&
                'unknown priority id',
            );
          }
          if (req.method === 'PUT' && req.pathname === '/rest/api/2/issue/OPS-1/assignee')
            return typeof (req.json as Doc | undefined)?.name === 'string'
              ? undefined
              : 'assignee body must be {"name": ...} on Server';
          if (req.method === 'POST' && req.pathname === '/rest/api/2/issue/OPS-1/watchers')
            return typeof req.json === 'string' ? undefined : 'the watcher must be a JSON string';
          return undefined;
        },
        transient: { status: 503, body: 'maintenance' },
        permanent: (s) => ({
          status: 400,
          body: { errorMessages: [`Field 'issuetype' is invalid for ${s}`], errors: {} },
        }),
        project: (req) => ({
          method: req.method,
          path: req.pathname,
          ...(req.body ? { body: req.json } : {}),
        }),
      },
    );
  },

  servicenow: () =>
    vendorHarness(
      (rx) => ({
        options: {
          servicenow_rest_url: `${rx.url}/api/now/v1/table/incident`,
          username: 'esalert',
          password: SNOW_PASSWORD,
          short_description: 'Pod backing off',
          comments: 'raised by esalert',
          assignment_group: 'SRE',
          category: 'software',
          subcategory: 'kubernetes',
          cmdb_ci: 'prod-cluster',
          caller_id: 'esalert@example.com',
          servicenow_impact: 2,
          servicenow_urgency: 1,
          service_now_additional_fields: { u_affected_site: 'eu-1' },
        },
        timeout: { servicenow_timeout: TIMEOUT_S },
        secrets: [SNOW_PASSWORD],
      }),
      {
        ok: () => ({ status: 201, body: { result: { number: 'INC0010001', sys_id: 'a1b2' } } }),
        check: (req) => {
          const j = req.json as Doc | undefined;
          return first(
            is(req, 'POST', '/api/now/v1/table/incident'),
            checkBasic(req, 'esalert', SNOW_PASSWORD),
            contentType(req, /^application\/json/),
            !/application\/json/.test(header(req, 'accept') ?? '') && 'Accept must be JSON',
            ...[
              'description',
              'short_description',
              'comments',
              'assignment_group',
              'category',
              'subcategory',
              'cmdb_ci',
              'caller_id',
            ].map((k) => j?.[k] === undefined && `${k} is required`),
          );
        },
        transient: { status: 503, body: 'busy' },
        permanent: (s) => ({ status: 401, body: { error: { message: `User Not Authenticated (${s})` } } }),
        project: (req) => ({ method: req.method, path: req.pathname, body: req.json }),
      },
    ),

  hivealerter: () =>
    vendorHarness(
      (rx) => ({
        options: {
          hive_connection: { hive_host: 'http://127.0.0.1', hive_port: rx.port, hive_apikey: HIVE_KEY },
          hive_alert_config: {
            type: 'kubernetes',
            source: 'esalert-{}',
            source_args: ['event.involvedObject.namespace'],
            severity: 2,
            tlp: 2,
            tags: ['event.reason', 'k8s'],
            title: '{} in {}',
            title_args: ['event.reason', 'event.involvedObject.namespace'],
            customFields: [{ name: 'pod', type: 'string', value: 'event.involvedObject.name' }],
          },
          hive_observable_data_mapping: [
            { other: 'event.involvedObject.name', tlp: 1, tags: ['pod'] },
            { fqdn: 'no.such.field' },
          ],
        },
        timeout: { hive_timeout: TIMEOUT_S },
        secrets: [HIVE_KEY],
      }),
      {
        ok: () => ({ status: 201, body: { _id: '~4120', status: 'New' } }),
        check: (req) => {
          const j = req.json as Doc | undefined;
          return first(
            is(req, 'POST', '/api/alert'),
            bearer(req, HIVE_KEY),
            contentType(req, /^application\/json/),
            ...['title', 'description', 'type', 'source', 'sourceRef'].map(
              (k) => typeof j?.[k] !== 'string' && `${k} must be text`,
            ),
            typeof j?.date !== 'number' && 'date must be milliseconds',
            !Array.isArray(j?.tags) && 'tags must be a list',
            !Array.isArray(j?.artifacts) && 'artifacts must be a list',
            (j?.artifacts as Doc[] | undefined)?.some(
              (a) => typeof a.dataType !== 'string' || typeof a.data !== 'string',
            ) && 'every artifact needs dataType and data',
          );
        },
        transient: { status: 502, body: 'bad gateway' },
        permanent: (s) => ({
          status: 400,
          body: { type: 'BadRequest', message: `Invalid alert for key ${s}` },
        }),
        project: (req) => {
          const { date, sourceRef, ...body } = req.json as Doc;
          return {
            method: req.method,
            path: req.pathname,
            date: typeof date,
            sourceRef: typeof sourceRef,
            body,
          };
        },
      },
    ),

  iris: () =>
    vendorHarness(
      (rx) => ({
        options: {
          iris_host: rx.url,
          iris_api_token: IRIS_TOKEN,
          iris_overwrite_timestamp: true,
          iris_alert_severity_id: 4,
          iris_alert_tags: 'k8s,backoff',
          iris_alert_context: {
            pod: 'event.involvedObject.name',
            namespace: 'event.involvedObject.namespace',
          },
          iris_iocs: [
            {
              ioc_value: 'event.involvedObject.name',
              ioc_description: 'pod',
              ioc_tlp_id: 2,
              ioc_type_id: 96,
              ioc_tags: 'pod',
            },
          ],
        },
        timeout: { iris_timeout: TIMEOUT_S },
        secrets: [IRIS_TOKEN],
      }),
      {
        ok: () => ({ body: { status: 'success', message: 'Alert created', data: { alert_id: 7 } } }),
        check: (req) => {
          const j = req.json as Doc | undefined;
          return first(
            is(req, 'POST', '/alerts/add'),
            bearer(req, IRIS_TOKEN),
            contentType(req, /^application\/json/),
            typeof j?.alert_title !== 'string' && 'alert_title is required',
            typeof j?.alert_description !== 'string' && 'alert_description is required',
            ...['alert_customer_id', 'alert_severity_id', 'alert_status_id'].map(
              (k) => !Number.isInteger(j?.[k]) && `${k} must be an integer`,
            ),
          );
        },
        transient: { status: 500, body: { status: 'error', message: 'internal error' } },
        permanent: (s) => ({ status: 400, body: { status: 'error', message: `Data error: token ${s}` } }),
        project: (req) => ({ method: req.method, path: req.pathname, body: req.json }),
      },
    ),

  smseagle: () =>
    vendorHarness(
      (rx) => ({
        options: {
          smseagle_url: rx.url,
          smseagle_token: SMSEAGLE_TOKEN,
          smseagle_message_type: 'sms',
          smseagle_to: ['+48123456789'],
          smseagle_contacts: [2, 7],
        },
        timeout: { smseagle_timeout: TIMEOUT_S },
        secrets: [SMSEAGLE_TOKEN],
      }),
      {
        ok: (req) => ({
          body: (((req.json as Doc | undefined)?.to as string[] | undefined) ?? []).map((number, i) => ({
            status: 'queued',
            message: 'OK',
            number,
            id: 100 + i,
          })),
        }),
        check: (req) => {
          const j = req.json as Doc | undefined;
          return first(
            is(req, 'POST', '/api/v2/messages/sms'),
            header(req, 'access-token') !== SMSEAGLE_TOKEN && 'access-token header missing or wrong',
            contentType(req, /^application\/json/),
            typeof j?.text !== 'string' && 'text is required',
            !(Array.isArray(j?.to) || Array.isArray(j?.contacts) || Array.isArray(j?.groups)) &&
              'to, contacts or groups is required',
          );
        },
        transient: { status: 503, body: 'modem busy' },
        permanent: (s) => ({ status: 401, body: { status: 'error', message: `Invalid access token ${s}` } }),
        project: (req) => ({ method: req.method, path: req.pathname, body: req.json }),
      },
    ),

  twilio: () =>
    vendorHarness(
      (rx) => ({
        options: {
          twilio_account_sid: TWILIO_SID,
          twilio_auth_token: TWILIO_TOKEN,
          twilio_to_number: 'whatsapp:+14155550100',
          twilio_from_number: 'whatsapp:+14155238886',
          twilio_api_url: rx.url,
        },
        timeout: { twilio_timeout: TIMEOUT_S },
        secrets: [TWILIO_TOKEN],
      }),
      {
        ok: () => ({ status: 201, body: { sid: 'SM0123', status: 'queued' } }),
        check: (req) =>
          first(
            is(req, 'POST', `/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`),
            checkBasic(req, TWILIO_SID, TWILIO_TOKEN),
            contentType(req, /^application\/x-www-form-urlencoded/),
            !req.form.get('To') && 'To is required',
            !req.form.get('Body') && 'Body is required',
            !req.form.get('From') &&
              !req.form.get('MessagingServiceSid') &&
              'From or MessagingServiceSid is required',
          ),
        transient: {
          status: 429,
          headers: { 'retry-after': '2' },
          body: { code: 20429, message: 'Too Many Requests', status: 429 },
        },
        permanent: (s) => ({
          status: 401,
          body: { code: 20003, message: `Authenticate (${s})`, status: 401 },
        }),
        project: (req) => ({ method: req.method, path: req.pathname, form: formOf(req) }),
      },
    ),

  exotel: () =>
    vendorHarness(
      (rx) => ({
        options: {
          exotel_account_sid: 'esalert1',
          exotel_auth_token: EXOTEL_TOKEN,
          exotel_to_number: '09876543210',
          exotel_from_number: '08012345678',
          exotel_message_body: ': pod backing off',
          exotel_api_url: rx.url,
        },
        timeout: { exotel_timeout: TIMEOUT_S },
        secrets: [EXOTEL_TOKEN],
      }),
      {
        ok: () => ({ body: { SMSMessage: { Sid: 'sms-1', Status: 'queued' } } }),
        check: (req) =>
          first(
            is(req, 'POST', '/v1/Accounts/esalert1/Sms/send.json'),
            checkBasic(req, 'esalert1', EXOTEL_TOKEN),
            contentType(req, /^application\/x-www-form-urlencoded/),
            ...['From', 'To', 'Body'].map((k) => !req.form.get(k) && `${k} is required`),
          ),
        transient: { status: 503, body: 'service unavailable' },
        permanent: (s) => ({
          status: 403,
          body: { RestException: { Status: 403, Message: `Authentication failed for ${s}` } },
        }),
        project: (req) => ({ method: req.method, path: req.pathname, form: formOf(req) }),
      },
    ),

  indexer: () => {
    const connection = (rx: Receiver, extra: Doc = {}) => ({
      indexer_connection: {
        es_host: '127.0.0.1',
        es_port: rx.port,
        es_username: 'elastic',
        es_password: ES_PASSWORD,
        indexer_alerts_name: 'esalert-alerts',
        ...extra,
      },
    });
    return vendorHarness(
      (rx) => ({
        options: {
          ...connection(rx),
          indexer_alert_config: {
            message: 'event.message',
            'kubernetes.pod': 'event.involvedObject.name',
            event: { reason: 'event.reason' },
            rule: 'name',
            customFields: [
              { name: 'severity', value: 'high' },
              { name: 'risk_score', value: 73 },
              { name: 'original_time', value: '@timestamp' },
            ],
          },
        },
        timeout: connection(rx, { es_conn_timeout: TIMEOUT_S }),
        secrets: [ES_PASSWORD],
      }),
      {
        ok: () => ({
          status: 201,
          body: { _index: 'esalert-alerts', _id: 'a1', result: 'created', _version: 1 },
        }),
        check: (req) =>
          first(
            is(req, 'POST', '/esalert-alerts/_doc'),
            req.query.get('refresh') !== 'true' &&
              'refresh=true expected (ElastAlert 2 indexes with refresh)',
            checkBasic(req, 'elastic', ES_PASSWORD),
            contentType(req, /^application\/json/),
            (typeof req.json !== 'object' || req.json === null || Array.isArray(req.json)) &&
              'the document must be a JSON object',
            typeof (req.json as Doc | undefined)?.['@timestamp'] !== 'string' && '@timestamp must be set',
          ),
        transient: {
          status: 429,
          body: { error: { type: 'es_rejected_execution_exception', reason: 'queue full' }, status: 429 },
        },
        permanent: (s) => ({
          status: 400,
          body: { error: { type: 'mapper_parsing_exception', reason: `failed to parse ${s}` }, status: 400 },
        }),
        project: (req) => {
          const { '@timestamp': ts, ...doc } = req.json as Doc;
          return { method: req.method, path: req.pathname, timestamp: typeof ts, doc };
        },
      },
    );
  },
};
