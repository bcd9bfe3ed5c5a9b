/**
 * Payloads and replies of the chat alerters beyond the contract suite: the options that change
 * what is sent (fields with args, cropping, card formats, fixed width, facts, event-chosen URLs)
 * and each vendor's way of saying "wait" or "fix this".
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlerterDefinition } from '../../../src/alerters/alerter.ts';
import { OptionProblem } from '../../../src/alerters/alerter.ts';
import { chatworkAlerter } from '../../../src/alerters/chatwork.ts';
import { discordAlerter } from '../../../src/alerters/discord.ts';
import { googleChatAlerter } from '../../../src/alerters/googlechat.ts';
import { larkAlerter } from '../../../src/alerters/lark.ts';
import { lineAlerter } from '../../../src/alerters/line.ts';
import { matrixHookshotAlerter } from '../../../src/alerters/matrixhookshot.ts';
import { mattermostAlerter } from '../../../src/alerters/mattermost.ts';
import { msPowerAutomateAlerter } from '../../../src/alerters/ms-power-automate.ts';
import { fixedWidth, msTeamsAlerter } from '../../../src/alerters/ms-teams.ts';
import { rocketChatAlerter } from '../../../src/alerters/rocketchat.ts';
import { telegramAlerter } from '../../../src/alerters/telegram.ts';
import { webexWebhookAlerter } from '../../../src/alerters/webex-webhook.ts';
import { yzjAlerter, yzjUrl } from '../../../src/alerters/yzj.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { type Receiver, startReceiver } from '../../integration/support/http-receiver.ts';
import { captureLog, deps } from './support/alert-content.ts';
import { trySend } from './support/try-send.ts';

const MATCH = {
  '@timestamp': '2024-05-14T03:21:09Z',
  type: 'error',
  msg: { status_code: 502 },
  host: 'node-7',
  opensearch_discover_url: 'https://osd.example/app/discover#/x',
  kibana_discover_url: 'https://kibana.example/app/discover#/y',
};
const RULE = { name: 'Chat rule', type: 'any' };

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver({ status: 200, body: 'ok' });
});
afterAll(() => rx.close());
beforeEach(() => {
  rx.received.length = 0;
});

const last = () => rx.received.at(-1)!;
const lastJson = () => last().json as Doc;
const send = (def: AlerterDefinition, options: Doc, matches: Doc[] = [MATCH]) =>
  trySend(def, { ...RULE, ...options }, matches);
const problemOption = (def: AlerterDefinition, options: Doc) => {
  try {
    def.create({ ...RULE, ...options }, deps(captureLog()));
  } catch (err) {
    if (err instanceof OptionProblem) return err.option;
    throw err;
  }
  return undefined;
};

describe('mattermost', () => {
  const url = () => `${rx.url}/hooks/abcdefghij0123456789klmnop`;

  it('formats fields with args from the match, falling back to alert_missing_value', async () => {
    await send(mattermostAlerter, {
      mattermost_webhook_url: url(),
      alert_missing_value: '-',
      mattermost_msg_fields: [
        { title: 'Stack', value: '{0} {1}', short: false, args: ['type', 'msg.status_code'] },
        { title: 'Lines', args: ['host', 'nope'] },
        { title: 'Static', value: 'static field' },
      ],
    });
    expect((lastJson().attachments as Doc[])[0]!.fields).toEqual([
      { title: 'Stack', value: 'error 502', short: false },
      { title: 'Lines', value: 'node-7\n-' },
      { title: 'Static', value: 'static field' },
    ]);
  });

  it('puts the body in the attachment for alert_text_only, at the top otherwise', async () => {
    await send(mattermostAlerter, {
      mattermost_webhook_url: url(),
      alert_text: 'only',
      alert_text_type: 'alert_text_only',
    });
    expect(lastJson()).not.toHaveProperty('text');
    expect((lastJson().attachments as Doc[])[0]!.text).toBe('only\n\n');
    await send(mattermostAlerter, { mattermost_webhook_url: url(), mattermost_msg_pretext: 'pre' });
    expect(lastJson().text).toContain('Chat rule');
    expect((lastJson().attachments as Doc[])[0]).toMatchObject({
      fallback: 'Chat rule: pre',
      pretext: 'pre',
    });
  });

  it('fails permanently, naming the field, when a field does not format', async () => {
    const { outcome } = await send(mattermostAlerter, {
      mattermost_webhook_url: url(),
      mattermost_msg_fields: [{ title: 'Bad', value: '{0} {1}', args: ['type'] }],
    });
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/mattermost_msg_fields "Bad"/),
    });
  });

  it('attaches the OpenSearch Discover link', async () => {
    await send(mattermostAlerter, {
      mattermost_webhook_url: url(),
      mattermost_attach_opensearch_discover_url: true,
    });
    expect((lastJson().attachments as Doc[])[1]).toEqual({
      color: '#ec4b98',
      title: 'Discover in opensearch',
      title_link: MATCH.opensearch_discover_url,
    });
  });
});

describe('rocketchat', () => {
  it('sends emoji, text string and looked-up fields; reads success:false', async () => {
    const options = {
      rocket_chat_webhook_url: `${rx.url}/hooks/id/tokentokentoken12345`,
      rocket_chat_text_string: 'hello',
      rocket_chat_alert_fields: [{ title: 'Host', value: 'host', short: true }],
    };
    rx.script({ status: 200, body: { success: true } });
    await send(rocketChatAlerter, options);
    expect(lastJson()).toMatchObject({
      username: 'elastalert2',
      text: 'hello',
      emoji: ':ghost:',
      channel: '',
      attachments: [{ title: 'Chat rule', fields: [{ title: 'Host', value: 'node-7', short: true }] }],
    });
    rx.script({ status: 400, body: { success: false, error: 'Invalid integration id or token provided.' } });
    const { outcome } = await send(rocketChatAlerter, options);
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/rocket_chat_webhook_url/),
    });
  });
});

describe('discord', () => {
  const url = () => `${rx.url}/api/webhooks/1/tok3n-tok3n-tok3n-tok3n`;

  it('crops match texts over 2047 characters with the note, and adds the footer', async () => {
    const long = { ...MATCH, text: 'é'.repeat(3000) };
    await send(
      discordAlerter,
      {
        discord_webhook_url: url(),
        discord_embed_color: '0xE24D42',
        discord_embed_footer: 'by esalert',
        discord_emoji_title: ':lock:',
      },
      [long],
    );
    const body = lastJson();
    expect(body.content).toBe(':lock: Chat rule :lock:');
    const embed = (body.embeds as Doc[])[0]!;
    expect(embed.color).toBe(0xe24d42);
    expect(embed.footer).toEqual({ text: 'by esalert', icon_url: null });
    const description = embed.description as string;
    expect(Array.from(description)).toHaveLength(
      1950 + '\n *message was cropped according to discord embed description limits!*'.length,
    );
    expect(description.endsWith('limits!*')).toBe(true);
  });

  it('waits retry_after seconds from the 429 body', async () => {
    rx.script({
      status: 429,
      body: { message: 'You are being rate limited.', retry_after: 2.5, global: false },
    });
    const { outcome } = await send(discordAlerter, { discord_webhook_url: url() });
    expect(outcome).toMatchObject({ ok: false, retryable: true, retryAfterMs: 2500 });
  });

  it('explains Unknown Webhook', async () => {
    rx.script({ status: 404, body: { message: 'Unknown Webhook', code: 10015 } });
    const { outcome } = await send(discordAlerter, { discord_webhook_url: url() });
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/deleted.*discord_webhook_url/),
    });
  });
});

describe('telegram', () => {
  const base = (options: Doc = {}) => ({
    telegram_bot_token: '123:ABCdefGHIjklMNOpqr',
    telegram_room_id: '-100987',
    telegram_api_url: rx.url,
    ...options,
  });

  it('html mode: no code block; thread id; markdown mode wraps the text in a code block', async () => {
    rx.script(
      { status: 200, body: { ok: true, result: {} } },
      { status: 200, body: { ok: true, result: {} } },
    );
    await send(telegramAlerter, base({ telegram_parse_mode: 'html', telegram_thread_id: 7 }));
    expect(lastJson()).toMatchObject({
      parse_mode: 'html',
      message_thread_id: 7,
      disable_web_page_preview: true,
    });
    expect(lastJson().text).toMatch(/^⚠ Chat rule ⚠ \nChat rule\n\n/);
    await send(telegramAlerter, base());
    expect(lastJson().text).toMatch(/^⚠ \*Chat rule\* ⚠ ```\n[\s\S]* ```$/);
  });

  it('crops at 4000 characters', async () => {
    rx.script({ status: 200, body: { ok: true, result: {} } });
    await send(telegramAlerter, base(), [{ ...MATCH, text: 'x'.repeat(5000) }]);
    const text = lastJson().text as string;
    expect(text).toContain('message was cropped according to telegram limits!');
    expect(text.length).toBeLessThan(4096);
  });

  it('flood control: retryable after parameters.retry_after', async () => {
    rx.script({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 12',
        parameters: { retry_after: 12 },
      },
    });
    const { outcome } = await send(telegramAlerter, base());
    expect(outcome).toMatchObject({ ok: false, retryable: true, retryAfterMs: 12_000 });
  });

  it('a group that became a supergroup: says which id to use', async () => {
    rx.script({
      status: 400,
      body: {
        ok: false,
        error_code: 400,
        description: 'Bad Request: group chat was upgraded to a supergroup chat',
        parameters: { migrate_to_chat_id: -1001122 },
      },
    });
    const { outcome } = await send(telegramAlerter, base());
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/telegram_room_id to -1001122/),
    });
  });

  it('a wrong token: permanent, and the token is not shown', async () => {
    rx.script({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
    const { outcome } = await send(telegramAlerter, base());
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/telegram_bot_token/),
    });
    if (!outcome.ok) expect(outcome.reason).not.toContain('ABCdefGHIjklMNOpqr');
  });

  it('paces groups at 20 a minute and private chats at one a second', () => {
    const group = telegramAlerter.create({ ...RULE, ...base() }, deps(captureLog()));
    const user = telegramAlerter.create(
      { ...RULE, ...base({ telegram_room_id: 123456 }) },
      deps(captureLog()),
    );
    expect([group.ratePerMinute, user.ratePerMinute]).toEqual([20, 60]);
  });

  it('builds https://<host>/bot<token>/sendMessage from a host name, as ElastAlert 2 does', () => {
    expect(
      problemOption(telegramAlerter, { telegram_bot_token: 't', telegram_room_id: '1' }),
    ).toBeUndefined();
    expect(problemOption(telegramAlerter, { telegram_bot_token: 't' })).toBe('telegram_room_id');
  });
});

describe('googlechat', () => {
  it('basic format sends the body as text; card format has header and the Kibana button', async () => {
    const url = `${rx.url}/v1/spaces/S/messages?key=k123456789&token=t123456789`;
    await send(googleChatAlerter, { googlechat_webhook_url: url });
    expect(Object.keys(lastJson())).toEqual(['text']);
    await send(googleChatAlerter, {
      googlechat_webhook_url: url,
      googlechat_format: 'card',
      googlechat_header_title: 'Title',
      googlechat_header_subtitle: 'Sub',
      googlechat_footer_kibanalink: 'https://kibana.example',
    });
    const card = (lastJson().cards as Doc[])[0]!;
    expect(card.header).toEqual({ title: 'Title', subtitle: 'Sub', imageUrl: null });
    expect(JSON.stringify(card.sections)).toContain('"openLink":{"url":"https://kibana.example"}');
  });
});

describe('ms_teams', () => {
  it('fixed width puts each line in a code span and turns backticks into quotes', () => {
    expect(fixedWidth('a `b`\nc')).toBe("```a 'b'```\n\n```c```");
  });

  it('facts from the match, the summary override, the OpenSearch link', async () => {
    rx.script({ status: 200, body: '1' });
    await send(msTeamsAlerter, {
      ms_teams_webhook_url: `${rx.url}/webhookb2/x@y/IncomingWebhook/0123456789abcdef0123/z`,
      ms_teams_alert_summary: 'Summary',
      ms_teams_alert_facts: [
        { name: 'Host', value: 'host' },
        { name: 'Team', value: 'sre' },
      ],
      ms_teams_attach_opensearch_discover_url: true,
    });
    expect(lastJson()).toMatchObject({
      summary: 'Summary',
      title: 'Chat rule',
      sections: [
        {
          facts: [
            { name: 'Host', value: 'node-7' },
            { name: 'Team', value: 'sre' },
          ],
        },
      ],
      potentialAction: [
        {
          '@type': 'OpenUri',
          name: 'Discover in opensearch',
          targets: [{ os: 'default', uri: MATCH.opensearch_discover_url }],
        },
      ],
    });
  });

  it('reads the status Teams hides in a 200 reply', async () => {
    const url = `${rx.url}/webhookb2/x@y/IncomingWebhook/0123456789abcdef0123/z`;
    rx.script({
      status: 200,
      body: 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413 with ContextId x',
    });
    const { outcome } = await send(msTeamsAlerter, { ms_teams_webhook_url: url });
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/too large/),
    });
  });
});

describe('ms_power_automate', () => {
  it('builds the Adaptive Card: sizes, facts, full width, discover action', async () => {
    rx.script({ status: 202 });
    await send(msPowerAutomateAlerter, {
      ms_power_automate_webhook_url: `${rx.url}/workflows/w/triggers/manual/paths/invoke?sig=s1g2n3a4t5u6r7e8`,
      ms_power_automate_body_text_size: 'small',
      ms_power_automate_teams_card_width_full: true,
      ms_power_automate_alert_facts: [{ name: 'Host', value: 'host' }],
      ms_power_automate_kibana_discover_attach_url: true,
      ms_power_automate_kibana_discover_color: 'destructive',
    });
    const content = (lastJson().attachments as Doc[])[0]!.content as Doc;
    expect(content.msteams).toEqual({ width: 'Full' });
    expect(content.body).toEqual([
      expect.objectContaining({ text: 'Chat rule', size: 'large', weight: 'Bolder' }),
      expect.objectContaining({ size: 'small', spacing: 'Large' }),
      { type: 'FactSet', facts: [{ title: 'Host', value: 'node-7' }] },
    ]);
    expect(content.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Discover in Kibana',
        url: MATCH.kibana_discover_url,
        style: 'destructive',
      },
    ]);
  });

  it('posts to the URL in ms_power_automate_webhook_url_from_field, and keeps its signature secret', async () => {
    const fromEvent = `${rx.url}/workflows/team-a/triggers/manual/paths/invoke?sig=eventSig0123456789`;
    rx.script({
      status: 401,
      body: { error: { code: 'Unauthorized', message: 'bad sig eventSig0123456789' } },
    });
    const { outcome } = await send(
      msPowerAutomateAlerter,
      {
        ms_power_automate_webhook_url: `${rx.url}/workflows/default/triggers/manual/paths/invoke?sig=default0123456789`,
        ms_power_automate_webhook_url_from_field: 'teams_webhook',
      },
      [{ ...MATCH, teams_webhook: fromEvent }],
    );
    expect(last().path).toContain('/workflows/team-a/');
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    if (!outcome.ok) expect(outcome.reason).not.toContain('eventSig0123456789');
  });
});

describe('webex_webhook', () => {
  it('builds the URL from the id and sends text or markdown', async () => {
    const a = webexWebhookAlerter.create(
      { ...RULE, webex_webhook_id: 'Y2lzY29zcGFyazovL3VzL1dFQkhPT0sv' },
      deps(captureLog()),
    );
    expect(a.info()).toEqual({
      type: 'webex_webhook',
      webex_webhook_msgtype: 'text',
      webex_webhook_url: 'https://webexapis.com/v1/webhooks/incoming/***',
    });
    rx.script({ status: 204 });
    await send(webexWebhookAlerter, { webex_webhook_id: `${rx.url}/v1/webhooks/incoming/abc0123456789` });
    expect(Object.keys(lastJson())).toEqual(['text']);
  });
});

describe('chatwork', () => {
  it('crops the body at 2047 characters and waits until x-ratelimit-reset', async () => {
    const options = {
      chatwork_apikey: 'k0123456789',
      chatwork_room_id: 42,
      chatwork_api_url: `${rx.url}/v2`,
    };
    rx.script({ status: 200, body: { message_id: '1' } });
    await send(chatworkAlerter, options, [{ ...MATCH, text: 'y'.repeat(3000) }]);
    const body = new URLSearchParams(last().body).get('body')!;
    expect(body.endsWith('*message was cropped according to chatwork embed description limits!*')).toBe(true);
    expect(last().path).toBe('/v2/rooms/42/messages');
    const reset = Math.floor(Date.now() / 1000) + 30;
    rx.script({
      status: 429,
      body: { errors: ['Rate limit exceeded'] },
      headers: { 'x-ratelimit-reset': String(reset) },
    });
    const { outcome } = await send(chatworkAlerter, options);
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    if (!outcome.ok) expect(outcome.retryAfterMs).toBeGreaterThan(20_000);
  });
});

describe('lark', () => {
  const url = () => `${rx.url}/open-apis/bot/v2/hook/0f9e8d7c-6b5a-4321-8fed-cba987654321`;

  it('sends title and text; the default host is open.feishu.cn', async () => {
    rx.script({ status: 200, body: { code: 0, msg: 'success', data: {} } });
    await send(larkAlerter, { lark_bot_id: url(), alert_subject: 'Subject' });
    expect(lastJson()).toEqual({
      msg_type: 'text',
      content: { title: 'Subject', text: expect.stringContaining('host: node-7') },
    });
    const a = larkAlerter.create(
      { ...RULE, lark_bot_id: '0f9e8d7c-6b5a-4321-8fed-cba987654321' },
      deps(captureLog()),
    );
    expect(a.info()).toEqual({
      type: 'lark',
      lark_webhook_url: 'https://open.feishu.cn/open-apis/bot/v2/hook/***',
    });
  });

  it.each([
    [{ code: 19024, msg: 'Key Words Not Found' }, false, /keywords/],
    [{ code: 19021, msg: 'sign match fail' }, false, /signature/],
    [{ code: 11232, msg: 'frequency limited' }, true, /too fast/],
    [{ StatusCode: 0, StatusMessage: 'success' }, undefined, undefined],
  ])('reads %j', async (body, retryable, reason) => {
    rx.script({ status: 200, body });
    const { outcome } = await send(larkAlerter, { lark_bot_id: url() });
    if (retryable === undefined) expect(outcome).toEqual({ ok: true });
    else expect(outcome).toMatchObject({ ok: false, retryable, reason: expect.stringMatching(reason!) });
  });

  it('a 429 whose body carries a rate-limit code is retryable', async () => {
    rx.script({ status: 429, body: { code: 99991400, msg: 'request trigger frequency limit' } });
    const { outcome } = await send(larkAlerter, { lark_bot_id: url() });
    expect(outcome).toMatchObject({ ok: false, retryable: true });
  });
});

describe('yzj', () => {
  it('puts type and token in the query and replaces the host with yzj_custom_loc', () => {
    const u = new URL(
      yzjUrl({
        yzj_token: 'tok',
        yzj_type: 0,
        yzj_webhook_url: 'https://www.yunzhijia.com/gateway/robot/webhook/send',
        yzj_custom_loc: 'yzj.example.com:8443',
        yzj_timeout: 10,
      }),
    );
    expect(u.host).toBe('yzj.example.com:8443');
    expect([...u.searchParams]).toEqual([
      ['yzjtype', '0'],
      ['yzjtoken', 'tok'],
    ]);
  });

  it('reads success:false', async () => {
    rx.script({ status: 200, body: { success: false, errorCode: 10002, error: 'robot not found' } });
    const { outcome } = await send(yzjAlerter, {
      yzj_token: 'tok12345',
      yzj_webhook_url: `${rx.url}/gateway/robot/webhook/send`,
    });
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/robot not found/),
    });
  });
});

describe('line', () => {
  const options = () => ({
    line_channel_access_token: 'tokentokentoken',
    line_to: 'U123',
    line_api_url: rx.url,
  });

  it('a used-up monthly quota is permanent; a rate limit is not', async () => {
    rx.script({ status: 429, body: { message: 'You have reached your monthly limit.' } });
    expect((await send(lineAlerter, options())).outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/quota/),
    });
    rx.script({ status: 429, body: { message: 'Too Many Requests' } });
    expect((await send(lineAlerter, options())).outcome).toMatchObject({ ok: false, retryable: true });
  });

  it('does not put the access token into info (ElastAlert 2 did)', () => {
    const a = lineAlerter.create({ ...RULE, ...options() }, deps(captureLog()));
    expect(a.info()).toEqual({ type: 'line', line_to: 'U123' });
  });
});

describe('matrixhookshot', () => {
  it('text and html override the body; username is added', async () => {
    rx.script({ status: 200, body: { ok: true } });
    await send(matrixHookshotAlerter, {
      matrixhookshot_webhook_url: `${rx.url}/webhook/6de1f483-5c4b-4bb8-984a-f09129f45225`,
      matrixhookshot_text: 'plain',
      matrixhookshot_html: '<b>bold</b>',
      matrixhookshot_username: 'bot',
    });
    expect(lastJson()).toEqual({ text: 'plain', html: '<b>bold</b>', username: 'bot' });
  });
});

describe('option problems name the option', () => {
  it.each<[AlerterDefinition, Doc, string]>([
    [discordAlerter, {}, 'discord_webhook_url'],
    [discordAlerter, { discord_webhook_url: 'not a url' }, 'discord_webhook_url'],
    [
      mattermostAlerter,
      { mattermost_webhook_url: 'https://m.example/hooks/x', mattermost_proxy: 'http://[bad' },
      'mattermost_proxy',
    ],
    [chatworkAlerter, { chatwork_room_id: 1 }, 'chatwork_apikey'],
    [lineAlerter, { line_channel_access_token: 't' }, 'line_to'],
    [larkAlerter, {}, 'lark_bot_id'],
    [googleChatAlerter, { googlechat_webhook_url: 'x', googlechat_format: 'fancy' }, 'googlechat_format'],
  ])('%#', (def, options, option) => {
    expect(problemOption(def, options)).toBe(option);
  });
});
