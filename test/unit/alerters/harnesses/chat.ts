/**
 * Contract harnesses for the chat and incident-management alerters. Each receiver plays the
 * vendor's API: it checks the method, path, where the credential goes (path, header or body) and
 * the body's shape as the vendor documents them, and fails the way the vendor fails (Slack's text
 * error codes, Telegram's ok:false with retry_after, Discord's 429 body, Lark's code in HTTP 200,
 * Teams' "HTTP error 429" inside a 200...).
 */
import type { Doc } from '../../../../src/model/lookup.ts';
import { checkRequest, type HarnessFactory, oneOf, shape, TIMEOUT_S, vendorHarness } from './shared.ts';

const SLACK_TOKEN = 'xQ3bF9kLm2Np7Rs4Tv6Wy8Za';
const MATTERMOST_HOOK = 'p9e7x1k3fjr8mq4c5w6z2b0a1y';
const ROCKET_TOKEN = 'Xk9JmLq2Rt7vWz4bNc8sPd3f';
const DISCORD_TOKEN = 'dQw4w9WgXcQ-aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ3_aB4cD5eF6gH7iJ8k';
const TELEGRAM_TOKEN = '110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const GCHAT_KEY = 'AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI';
const GCHAT_TOKEN = 'x8kTq2Lm9Zp4Rw7Vb3Nc6Hd1Fg5Js0Ye';
const GITTER_TOKEN = '9f8e7d6c5b4a3f2e1d0c';
const FLOW_SIG = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0';
const TEAMS_SEGMENT = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const WEBEX_ID = 'Y2lzY29zcGFyazovL3VzL1dFQkhPT0svNmRlMWY0ODM';
const CHATWORK_KEY = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const LARK_BOT = '7f3a9c2e-1b4d-4e8f-9a6b-5c3d2e1f0a9b';
const YZJ_TOKEN = 'yzj4f8a2c6e0b9d7f1a3c5e';
const LINE_TOKEN = 'Qw3rTy8uIo2pAs5dFg7hJk1lZx4cVb6nM9mQw3rTy8uIo2pAs5dFg7hJk1lZx=';
const HOOKSHOT_ID = '6de1f483-5c4b-4bb8-984a-f09129f45225';
const DD_API_KEY = 'dd0a1b2c3d4e5f60718293a4b5c6d7e8';
const DD_APP_KEY = 'app0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2';
const PD_KEY = 'R0123456789abcdef0123456789abcde';
const PAGERTREE_ID = 'int_Xk29fLq8ZpW3';
const OPSGENIE_KEY = 'eb243592-faa2-4ba2-a551q-1afdf565c889';
const VICTOROPS_KEY = '3f8c2a1e-9b7d-4c6e-a5f4-0d1e2c3b4a59';
const ALERTA_KEY = 'demo-key-8c6b4a2e0f1d3b5a7c9e';
const AM_PASSWORD = 'am-password-horse-battery';
const FLASHDUTY_KEY = 'fd8b2c4e6a0d1f3b5c7e9a1d3f5b7c9e';

const json = { 'content-type': /^application\/json/ };
const postTo = (path: string | RegExp) => ({ method: 'POST', path });

/** A JSON body of Slack-style attachments: title and text on the first one. */
const firstAttachment = (body: unknown) => {
  const problem = shape(body, { attachments: 'array' });
  if (problem) return problem;
  return shape(
    (body as { attachments: unknown[] }).attachments[0],
    { title: 'string', color: 'string' },
    'attachments[0]',
  );
};

const busy = { status: 503, body: 'Service Unavailable' };

export const CHAT_HARNESSES: Record<string, HarnessFactory> = {
  slack: () =>
    vendorHarness(
      (rx) => ({
        options: {
          slack_webhook_url: `${rx.url}/services/T0001/B0002/${SLACK_TOKEN}`,
          slack_channel_override: '#alerts',
        },
        timeout: { slack_timeout: TIMEOUT_S },
        secrets: [SLACK_TOKEN],
      }),
      {
        ok: { status: 200, body: 'ok', headers: { 'content-type': 'text/html' } },
        check: checkRequest({
          ...postTo(`/services/T0001/B0002/${SLACK_TOKEN}`),
          headers: json,
          json: (b) =>
            shape(b, { username: 'string', text: 'string', channel: 'string', icon_emoji: 'string' }) ??
            firstAttachment(b),
        }),
        transient: { status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } },
        permanent: (secret) => ({ status: 404, body: `no_service: /services/T0001/B0002/${secret}` }),
      },
    ),
  mattermost: () =>
    vendorHarness(
      (rx) => ({
        options: {
          mattermost_webhook_url: `${rx.url}/hooks/${MATTERMOST_HOOK}`,
          mattermost_msg_pretext: 'esalert',
        },
        timeout: { mattermost_timeout: TIMEOUT_S },
        secrets: [MATTERMOST_HOOK],
      }),
      {
        ok: { status: 200, body: 'ok', headers: { 'content-type': 'text/plain' } },
        check: checkRequest({
          ...postTo(`/hooks/${MATTERMOST_HOOK}`),
          headers: json,
          json: (b) => shape(b, { username: 'string', channel: 'string' }) ?? firstAttachment(b),
        }),
        transient: busy,
        permanent: (secret) => ({
          status: 400,
          body: {
            id: 'web.incoming_webhook.invalid.app_error',
            message: 'Invalid webhook.',
            detailed_error: secret,
            status_code: 400,
          },
        }),
      },
    ),
  rocketchat: () =>
    vendorHarness(
      (rx) => ({
        options: { rocket_chat_webhook_url: `${rx.url}/hooks/65f0c2a1/${ROCKET_TOKEN}` },
        timeout: { rocket_chat_timeout: TIMEOUT_S },
        secrets: [ROCKET_TOKEN],
      }),
      {
        ok: { status: 200, body: { success: true } },
        check: checkRequest({
          ...postTo(`/hooks/65f0c2a1/${ROCKET_TOKEN}`),
          headers: json,
          json: (b) =>
            shape(b, { username: 'string', text: 'string', emoji: 'string' }) ?? firstAttachment(b),
        }),
        transient: { status: 429, body: { success: false, error: 'Error, too many requests' } },
        permanent: (secret) => ({
          status: 400,
          body: { success: false, error: `Invalid integration id or token provided. [${secret}]` },
        }),
      },
    ),
  discord: () =>
    vendorHarness(
      (rx) => ({
        options: { discord_webhook_url: `${rx.url}/api/webhooks/123456789012345678/${DISCORD_TOKEN}` },
        timeout: { discord_timeout: TIMEOUT_S },
        secrets: [DISCORD_TOKEN],
      }),
      {
        ok: { status: 204 },
        check: checkRequest({
          ...postTo(`/api/webhooks/123456789012345678/${DISCORD_TOKEN}`),
          headers: json,
          json: (b) => {
            const problem = shape(b, { content: 'string', embeds: 'array' });
            if (problem) return problem;
            const embed = (b as { embeds: Doc[] }).embeds[0];
            const desc = embed?.description;
            return typeof desc === 'string' && desc.length <= 4096
              ? undefined
              : 'embeds[0].description over 4096';
          },
        }),
        transient: {
          status: 429,
          body: { message: 'You are being rate limited.', retry_after: 1.5, global: false },
        },
        permanent: (secret) => ({ status: 404, body: { message: `Unknown Webhook ${secret}`, code: 10015 } }),
      },
    ),
  telegram: () =>
    vendorHarness(
      (rx) => ({
        options: {
          telegram_bot_token: TELEGRAM_TOKEN,
          telegram_room_id: '-1001234567890',
          telegram_api_url: rx.url,
        },
        timeout: { telegram_timeout: TIMEOUT_S },
        secrets: [TELEGRAM_TOKEN],
      }),
      {
        ok: { status: 200, body: { ok: true, result: { message_id: 42 } } },
        check: checkRequest({
          ...postTo(`/bot${TELEGRAM_TOKEN}/sendMessage`),
          headers: json,
          json: (b) =>
            shape(b, { chat_id: 'string|number', text: 'string', parse_mode: 'string' }) ??
            oneOf(
              (b as Doc).parse_mode,
              ['markdown', 'markdownV2', 'html', 'Markdown', 'MarkdownV2', 'HTML'],
              'parse_mode',
            ) ??
            ((b as { text: string }).text.length <= 4096 ? undefined : 'text over 4096 characters'),
        }),
        transient: {
          status: 429,
          body: {
            ok: false,
            error_code: 429,
            description: 'Too Many Requests: retry after 3',
            parameters: { retry_after: 3 },
          },
        },
        permanent: (secret) => ({
          status: 400,
          body: { ok: false, error_code: 400, description: `Bad Request: chat not found for bot${secret}` },
        }),
      },
    ),
  googlechat: () =>
    vendorHarness(
      (rx) => ({
        options: {
          googlechat_webhook_url: `${rx.url}/v1/spaces/AAAAx1y2z3/messages?key=${GCHAT_KEY}&token=${GCHAT_TOKEN}`,
          googlechat_format: 'card',
          googlechat_header_title: 'esalert',
        },
        timeout: { googlechat_timeout: TIMEOUT_S },
        secrets: [GCHAT_TOKEN, GCHAT_KEY],
      }),
      {
        ok: { status: 200, body: { name: 'spaces/AAAAx1y2z3/messages/abc.abc' } },
        check: checkRequest({
          ...postTo(`/v1/spaces/AAAAx1y2z3/messages?key=${GCHAT_KEY}&token=${GCHAT_TOKEN}`),
          headers: json,
          json: (b) => shape(b, { cards: 'array' }),
        }),
        transient: {
          status: 429,
          body: {
            error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' },
          },
        },
        permanent: (secret) => ({
          status: 400,
          body: { error: { code: 400, message: `Invalid token ${secret}`, status: 'INVALID_ARGUMENT' } },
        }),
      },
    ),
  gitter: () =>
    vendorHarness(
      (rx) => ({
        options: { gitter_webhook_url: `${rx.url}/e/${GITTER_TOKEN}`, gitter_msg_level: 'info' },
        timeout: { gitter_timeout: TIMEOUT_S },
        secrets: [GITTER_TOKEN],
      }),
      {
        ok: { status: 200, body: 'OK', headers: { 'content-type': 'text/plain' } },
        check: checkRequest({
          ...postTo(`/e/${GITTER_TOKEN}`),
          headers: json,
          json: (b) => shape(b, { message: 'string' }) ?? oneOf((b as Doc).level, ['info', 'error'], 'level'),
        }),
        transient: busy,
        permanent: (secret) => ({ status: 401, body: `Unauthorized: ${secret}` }),
      },
    ),
  ms_power_automate: () =>
    vendorHarness(
      (rx) => ({
        options: {
          ms_power_automate_webhook_url: `${rx.url}/workflows/4f1c/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${FLOW_SIG}`,
          ms_power_automate_alert_facts: [{ name: 'Pod', value: 'event.involvedObject.name' }],
        },
        timeout: { ms_power_automate_timeout: TIMEOUT_S },
        secrets: [FLOW_SIG],
      }),
      {
        ok: { status: 202 },
        check: checkRequest({
          ...postTo(
            new RegExp(
              `^/workflows/4f1c/triggers/manual/paths/invoke\\?api-version=2016-06-01&.*sig=${FLOW_SIG}$`,
            ),
          ),
          headers: json,
          json: (b) => {
            const problem = shape(b, { type: 'string', attachments: 'array' });
            if (problem) return problem;
            const a = (b as { attachments: Doc[] }).attachments[0]!;
            return oneOf(a.contentType, ['application/vnd.microsoft.card.adaptive'], 'contentType');
          },
        }),
        transient: {
          status: 429,
          body: { error: { code: 'WorkflowTriggerIsThrottled', message: 'throttled' } },
          headers: { 'retry-after': '2' },
        },
        permanent: (secret) => ({
          status: 401,
          body: {
            error: {
              code: 'DirectApiInvalidAuthorizationSignature',
              message: `The provided sig ${secret} is not valid.`,
            },
          },
        }),
      },
    ),
  ms_teams: () =>
    vendorHarness(
      (rx) => ({
        options: {
          ms_teams_webhook_url: `${rx.url}/webhookb2/a1b2c3d4-e5f6@f6e5d4c3-b2a1/IncomingWebhook/${TEAMS_SEGMENT}/0a9b8c7d-6e5f`,
          ms_teams_theme_color: '#ff0000',
        },
        timeout: { ms_teams_timeout: TIMEOUT_S },
        secrets: [TEAMS_SEGMENT],
      }),
      {
        ok: { status: 200, body: '1', headers: { 'content-type': 'text/plain' } },
        check: checkRequest({
          ...postTo(new RegExp(`^/webhookb2/[^/]+/IncomingWebhook/${TEAMS_SEGMENT}/`)),
          headers: json,
          json: (b) =>
            shape(b, { '@type': 'string', summary: 'string', sections: 'array' }) ??
            oneOf((b as Doc)['@type'], ['MessageCard'], '@type'),
        }),
        // Teams answers 200 and names the real status in the text
        transient: {
          status: 200,
          body: 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi',
          headers: { 'content-type': 'text/plain' },
        },
        permanent: (secret) => ({
          status: 200,
          body: `Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 400 for ${secret}`,
          headers: { 'content-type': 'text/plain' },
        }),
      },
    ),
  webex_webhook: () =>
    vendorHarness(
      (rx) => ({
        options: {
          webex_webhook_id: `${rx.url}/v1/webhooks/incoming/${WEBEX_ID}`,
          webex_webhook_msgtype: 'markdown',
        },
        timeout: { webex_webhook_timeout: TIMEOUT_S },
        secrets: [WEBEX_ID],
      }),
      {
        ok: { status: 204 },
        check: checkRequest({
          ...postTo(`/v1/webhooks/incoming/${WEBEX_ID}`),
          headers: json,
          json: (b) => shape(b, { markdown: 'string' }),
        }),
        transient: { status: 429, body: { message: 'Too Many Requests' }, headers: { 'retry-after': '3' } },
        permanent: (secret) => ({
          status: 404,
          body: { message: `The requested resource could not be found: ${secret}`, trackingId: 'ROUTER_1' },
        }),
      },
    ),
  chatwork: () =>
    vendorHarness(
      (rx) => ({
        options: {
          chatwork_apikey: CHATWORK_KEY,
          chatwork_room_id: '123456789',
          chatwork_api_url: `${rx.url}/v2`,
        },
        timeout: { chatwork_timeout: TIMEOUT_S },
        secrets: [CHATWORK_KEY],
      }),
      {
        ok: { status: 200, body: { message_id: '1234567890' } },
        check: checkRequest({
          ...postTo('/v2/rooms/123456789/messages'),
          headers: { 'x-chatworktoken': CHATWORK_KEY, 'content-type': 'application/x-www-form-urlencoded' },
          body: (b) => {
            const form = new URLSearchParams(b);
            return form.get('body') ? undefined : 'the form has no body field';
          },
        }),
        transient: {
          status: 429,
          body: { errors: ['Rate limit exceeded'] },
          headers: { 'x-ratelimit-reset': '1' },
        },
        permanent: (secret) => ({ status: 401, body: { errors: [`Invalid API token ${secret}`] } }),
        project: (r) => ({
          method: r.method,
          path: r.path,
          contentType: r.headers['content-type'],
          body: Object.fromEntries(new URLSearchParams(r.body)),
        }),
      },
    ),
  lark: () =>
    vendorHarness(
      (rx) => ({
        options: { lark_bot_id: `${rx.url}/open-apis/bot/v2/hook/${LARK_BOT}` },
        timeout: { lark_timeout: TIMEOUT_S },
        secrets: [LARK_BOT],
      }),
      {
        ok: { status: 200, body: { code: 0, msg: 'success', data: {} } },
        check: checkRequest({
          ...postTo(`/open-apis/bot/v2/hook/${LARK_BOT}`),
          headers: json,
          json: (b) =>
            shape(b, { msg_type: 'string', content: 'object' }) ??
            shape((b as { content: unknown }).content, { text: 'string' }, 'content'),
        }),
        transient: {
          status: 200,
          body: { code: 11232, msg: 'frequency limited psm[lark.oapi.app_platform_runtime]', data: {} },
        },
        permanent: (secret) => ({
          status: 200,
          body: {
            code: 19001,
            msg: `param invalid: incoming webhook access token invalid ${secret}`,
            data: {},
          },
        }),
      },
    ),
  yzj: () =>
    vendorHarness(
      (rx) => ({
        options: { yzj_token: YZJ_TOKEN, yzj_webhook_url: `${rx.url}/gateway/robot/webhook/send` },
        timeout: { yzj_timeout: TIMEOUT_S },
        secrets: [YZJ_TOKEN],
      }),
      {
        ok: { status: 200, body: { success: true, errorCode: 0, data: null } },
        check: checkRequest({
          ...postTo(`/gateway/robot/webhook/send?yzjtype=0&yzjtoken=${YZJ_TOKEN}`),
          headers: json,
          json: (b) => shape(b, { content: 'string' }),
        }),
        transient: busy,
        permanent: (secret) => ({
          status: 200,
          body: { success: false, errorCode: 10001, error: `token ${secret} invalid` },
        }),
      },
    ),
  line: () =>
    vendorHarness(
      (rx) => ({
        options: {
          line_channel_access_token: LINE_TOKEN,
          line_to: 'U4af4980629d4f0a4b0c8d9b5e6f7a8b9',
          line_api_url: rx.url,
        },
        timeout: { line_timeout: TIMEOUT_S },
        secrets: [LINE_TOKEN],
      }),
      {
        ok: { status: 200, body: {} },
        check: checkRequest({
          ...postTo('/v2/bot/message/push'),
          headers: { ...json, authorization: `Bearer ${LINE_TOKEN}` },
          json: (b) => {
            const problem = shape(b, { to: 'string', messages: 'array' });
            if (problem) return problem;
            const m = (b as { messages: Doc[] }).messages[0];
            return shape(m, { type: 'string', text: 'string' }, 'messages[0]');
          },
        }),
        transient: { status: 429, body: { message: 'Too Many Requests' } },
        permanent: (secret) => ({ status: 401, body: { message: `Authentication failed. ${secret}` } }),
      },
    ),
  matrixhookshot: () =>
    vendorHarness(
      (rx) => ({
        options: {
          matrixhookshot_webhook_url: `${rx.url}/webhook/${HOOKSHOT_ID}`,
          matrixhookshot_username: 'esalert',
        },
        timeout: { matrixhookshot_timeout: TIMEOUT_S },
        secrets: [HOOKSHOT_ID],
      }),
      {
        ok: { status: 200, body: { ok: true } },
        check: checkRequest({
          ...postTo(`/webhook/${HOOKSHOT_ID}`),
          headers: json,
          json: (b) => shape(b, { text: 'string', username: 'string' }),
        }),
        transient: { status: 500, body: { ok: false, error: 'Failed to process webhook' } },
        permanent: (secret) => ({ status: 404, body: { ok: false, error: `Unknown webhook ${secret}` } }),
      },
    ),
  datadog: () =>
    vendorHarness(
      (rx) => ({
        options: {
          datadog_api_key: DD_API_KEY,
          datadog_app_key: DD_APP_KEY,
          datadog_api_url: `${rx.url}/api/v1/events`,
        },
        timeout: { datadog_timeout: TIMEOUT_S },
        secrets: [DD_API_KEY, DD_APP_KEY],
      }),
      {
        ok: { status: 202, body: { status: 'ok', event: { id: 1 } } },
        check: checkRequest({
          ...postTo('/api/v1/events'),
          headers: { ...json, 'dd-api-key': DD_API_KEY, 'dd-application-key': DD_APP_KEY },
          json: (b) => shape(b, { title: 'string', text: 'string' }),
        }),
        transient: {
          status: 429,
          body: { errors: ['Rate limit exceeded'] },
          headers: { 'x-ratelimit-reset': '2' },
        },
        permanent: (secret) => ({ status: 403, body: { errors: [`Forbidden: ${secret}`] } }),
      },
    ),
  pagerduty: () =>
    vendorHarness(
      (rx) => ({
        options: {
          pagerduty_service_key: PD_KEY,
          pagerduty_client_name: 'esalert',
          pagerduty_api_version: 'v2',
          pagerduty_api_url: `${rx.url}/v2/enqueue`,
          pagerduty_incident_key: '{0}/{1}',
          pagerduty_incident_key_args: ['event.involvedObject.namespace', 'event.involvedObject.name'],
        },
        timeout: { pagerduty_timeout: TIMEOUT_S },
        secrets: [PD_KEY],
      }),
      {
        ok: { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: 'prod/api' } },
        check: checkRequest({
          ...postTo('/v2/enqueue'),
          headers: json,
          json: (b) => {
            const body = b as Doc;
            const payload = body.payload as Doc;
            return (
              (body.routing_key === PD_KEY ? undefined : 'routing_key is not the integration key') ??
              oneOf(body.event_action, ['trigger', 'acknowledge', 'resolve'], 'event_action') ??
              shape(payload, { summary: 'string', source: 'string', severity: 'string' }, 'payload') ??
              oneOf(payload.severity, ['critical', 'error', 'warning', 'info'], 'payload.severity')
            );
          },
        }),
        transient: {
          status: 429,
          body: { status: 'throttle event', message: 'Requests for this service are arriving too quickly.' },
        },
        permanent: (secret) => ({
          status: 400,
          body: {
            status: 'invalid event',
            message: 'Event object is invalid',
            errors: [`'routing_key' ${secret} is invalid`],
          },
        }),
      },
    ),
  pagertree: () =>
    vendorHarness(
      (rx) => ({
        options: { pagertree_integration_url: `${rx.url}/integration/${PAGERTREE_ID}` },
        timeout: { pagertree_timeout: TIMEOUT_S },
        secrets: [PAGERTREE_ID],
      }),
      {
        ok: { status: 200, body: { success: true } },
        check: checkRequest({
          ...postTo(`/integration/${PAGERTREE_ID}`),
          headers: json,
          json: (b) =>
            shape(b, { event_type: 'string', Id: 'string', Title: 'string', Description: 'string' }) ??
            oneOf((b as Doc).event_type, ['create', 'acknowledge', 'resolve'], 'event_type'),
        }),
        transient: busy,
        permanent: (secret) => ({ status: 404, body: `integration ${secret} not found` }),
      },
    ),
  opsgenie: () =>
    vendorHarness(
      (rx) => ({
        options: {
          opsgenie_key: OPSGENIE_KEY,
          opsgenie_addr: `${rx.url}/v2/alerts`,
          opsgenie_teams: ['{team}'],
          opsgenie_teams_args: { team: 'event.involvedObject.namespace' },
          opsgenie_priority: 'P2',
          opsgenie_details: { Reason: { field: 'event.reason' } },
        },
        timeout: { opsgenie_timeout: TIMEOUT_S },
        secrets: [OPSGENIE_KEY],
      }),
      {
        ok: {
          status: 202,
          body: { result: 'Request will be processed', took: 0.302, requestId: '43a29c5c-3dbf' },
        },
        check: checkRequest({
          ...postTo('/v2/alerts'),
          headers: { ...json, authorization: `GenieKey ${OPSGENIE_KEY}` },
          json: (b) => {
            const body = b as Doc;
            return (
              shape(b, { message: 'string', tags: 'array', description: 'string' }) ??
              ((body.message as string).length <= 130 ? undefined : 'message over 130 characters') ??
              oneOf(body.priority, ['P1', 'P2', 'P3', 'P4', 'P5', null], 'priority')
            );
          },
        }),
        transient: { status: 429, body: { message: 'You are making too many requests!', took: 0.001 } },
        permanent: (secret) => ({
          status: 401,
          body: { message: `Key format is not valid! (${secret})`, took: 0.0 },
        }),
      },
    ),
  victorops: () =>
    vendorHarness(
      (rx) => ({
        options: {
          victorops_api_key: VICTOROPS_KEY,
          victorops_routing_key: 'k8s',
          victorops_message_type: 'CRITICAL',
          victorops_api_url: `${rx.url}/integrations/generic/20131114/alert`,
        },
        timeout: { victorops_timeout: TIMEOUT_S },
        secrets: [VICTOROPS_KEY],
      }),
      {
        ok: { status: 200, body: { result: 'success', entity_id: 'contract rule' } },
        check: checkRequest({
          ...postTo(`/integrations/generic/20131114/alert/${VICTOROPS_KEY}/k8s`),
          headers: json,
          json: (b) =>
            shape(b, { message_type: 'string', entity_display_name: 'string', state_message: 'string' }) ??
            oneOf(
              (b as Doc).message_type,
              ['CRITICAL', 'WARNING', 'ACKNOWLEDGEMENT', 'INFO', 'RECOVERY'],
              'message_type',
            ),
        }),
        transient: busy,
        permanent: (secret) => ({
          status: 400,
          body: { result: 'failure', message: `Invalid API key ${secret}` },
        }),
      },
    ),
  alerta: () =>
    vendorHarness(
      (rx) => ({
        options: {
          alerta_api_url: `${rx.url}/api/alert`,
          alerta_api_key: ALERTA_KEY,
          alerta_use_match_timestamp: true,
          alerta_resource: '%(event.involvedObject.namespace)s/{event[involvedObject][name]}',
          alerta_text: '{event[message]}',
        },
        timeout: { alerta_request_timeout: TIMEOUT_S },
        secrets: [ALERTA_KEY],
      }),
      {
        ok: { status: 201, body: { status: 'ok', id: '5e1f4c2a' } },
        check: checkRequest({
          ...postTo('/api/alert'),
          headers: { ...json, authorization: new RegExp(`^(Key|Bearer) ${ALERTA_KEY}$`) },
          json: (b) =>
            shape(b, {
              resource: 'string',
              event: 'string',
              environment: 'string',
              severity: 'string',
              service: 'array',
            }),
        }),
        transient: { status: 503, body: { status: 'error', message: 'database unavailable' } },
        permanent: (secret) => ({
          status: 401,
          body: { status: 'error', message: `Invalid API key ${secret}` },
        }),
      },
    ),
  alertmanager: () =>
    vendorHarness(
      (rx) => ({
        options: {
          alertmanager_hosts: [rx.url],
          alertmanager_api_version: 'v2',
          alertmanager_basic_auth_login: 'esalert',
          alertmanager_basic_auth_password: AM_PASSWORD,
          alertmanager_labels: { namespace: '{{ event.involvedObject.namespace }}' },
          alertmanager_fields: { reason: 'event.reason' },
        },
        timeout: { alertmanager_timeout: TIMEOUT_S },
        secrets: [AM_PASSWORD],
      }),
      {
        ok: { status: 200 },
        check: checkRequest({
          ...postTo('/api/v2/alerts'),
          headers: {
            ...json,
            authorization: `Basic ${Buffer.from(`esalert:${AM_PASSWORD}`).toString('base64')}`,
          },
          json: (b) => {
            if (!Array.isArray(b) || b.length === 0) return 'body is not a list of alerts';
            const alert = b[0] as Doc;
            const labels = alert.labels as Doc;
            return (
              shape(alert, { labels: 'object', annotations: 'object' }, 'alerts[0]') ??
              (typeof labels.alertname === 'string' ? undefined : 'labels.alertname missing') ??
              Object.keys(labels).find((k) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k))
            );
          },
        }),
        transient: busy,
        permanent: (secret) => ({ status: 401, body: `Unauthorized (${secret})` }),
      },
    ),
  flashduty: () =>
    vendorHarness(
      (rx) => ({
        options: {
          flashduty_integration_key: FLASHDUTY_KEY,
          flashduty_api_url: `${rx.url}/event/push/alert/standard`,
          flashduty_event_status: 'Warning',
          flashduty_service: 'api',
        },
        timeout: { flashduty_timeout: TIMEOUT_S },
        secrets: [FLASHDUTY_KEY],
      }),
      {
        ok: {
          status: 200,
          body: { request_id: '0ace00116215ab4ca0ec5244b8fc54b0', data: { alert_key: 'x' } },
        },
        check: checkRequest({
          ...postTo(`/event/push/alert/standard?integration_key=${FLASHDUTY_KEY}`),
          headers: json,
          json: (b) => {
            const body = b as Doc;
            return (
              shape(b, { title: 'string', event_status: 'string', labels: 'object' }) ??
              oneOf(body.event_status, ['Info', 'Warning', 'Critical', 'Ok'], 'event_status') ??
              Object.entries(body.labels as Doc)
                .filter(([, v]) => typeof v !== 'string')
                .map(([k]) => `labels.${k} is not a string`)[0]
            );
          },
        }),
        transient: {
          status: 429,
          body: {
            request_id: 'r1',
            error: { code: 'RequestTooFrequently', message: 'request too frequently' },
          },
        },
        permanent: (secret) => ({
          status: 200,
          body: {
            request_id: 'r2',
            error: { code: 'InvalidParameter', message: `integration_key ${secret} not found` },
          },
        }),
      },
    ),
};
