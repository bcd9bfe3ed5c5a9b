/**
 * The Jira alerter against a fake Jira on 127.0.0.1 that answers as Cloud or as Server: users by
 * account id on Cloud, bumping through the enhanced search (or the classic one on Server), comments,
 * labels and transitions, and what happens when a step fails after the issue exists.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OptionProblem } from '../../../src/alerters/alerter.ts';
import { jiraAlerter } from '../../../src/alerters/jira.ts';
import { jiraBumpQuery, jiraDefaultTitle, jiraFieldValue } from '../../../src/alerters/jira-fields.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';
import {
  header,
  type Reply,
  type Request,
  startVendorReceiver,
  type VendorReceiver,
} from '../../integration/support/http-receiver.ts';

const dir = mkdtempSync(join(tmpdir(), 'esalert-jira-test-'));
writeFileSync(join(dir, 'basic.yaml'), 'user: bot@example.com\npassword: api-token-123456\n');
writeFileSync(join(dir, 'pat.yaml'), 'apikey: personal-access-token-987\n');
const MATCH = { '@timestamp': '2024-05-14T03:21:09Z', host: 'web-1', message: 'disk "full"' };

interface FakeJira {
  cloud: boolean;
  /** The ticket the search finds, if any. */
  ticket?: { key: string; fields: { updated: string } };
  failAssign?: boolean;
}
const fake: FakeJira = { cloud: true };
let rx: VendorReceiver;

function respond(req: Request): Reply {
  const route = `${req.method} ${req.pathname}`;
  if (route === 'GET /rest/api/2/serverInfo')
    return { body: { deploymentType: fake.cloud ? 'Cloud' : 'Server' } };
  if (route === 'GET /rest/api/2/user/search')
    return {
      body:
        req.query.get('query') === 'nobody'
          ? []
          : [{ accountId: `acc-${req.query.get('query')}`, displayName: 'x' }],
    };
  if (route === 'GET /rest/api/2/search/jql' && !fake.cloud)
    return { status: 404, body: { errorMessages: ['null for uri'] } };
  if (route === 'GET /rest/api/2/search/jql' || route === 'GET /rest/api/2/search')
    return { body: { issues: fake.ticket ? [fake.ticket] : [] } };
  if (route === 'GET /rest/api/2/issue/OPS-7/transitions')
    return {
      body: {
        transitions: [
          { id: '31', name: 'Reopen' },
          { id: '41', name: 'Done' },
        ],
      },
    };
  if (route === 'POST /rest/api/2/issue') return { status: 201, body: { id: '1', key: 'OPS-9' } };
  if (route === 'PUT /rest/api/2/issue/OPS-9/assignee' && fake.failAssign)
    return { status: 400, body: { errorMessages: [], errors: { assignee: 'User cannot be assigned' } } };
  if (/^(POST|PUT) \/rest\/api\/2\/issue\/OPS-\d+(\/(assignee|watchers|comment|transitions))?$/.test(route))
    return { status: 204 };
  if (route === 'GET /rest/api/2/field')
    return {
      body: [
        { id: 'customfield_1', name: 'Affected Host', schema: { type: 'string' } },
        { id: 'customfield_2', name: 'Teams', schema: { type: 'array', items: 'option' } },
      ],
    };
  return { status: 404, body: { errorMessages: [`no route ${route}`] } };
}

beforeAll(async () => {
  rx = await startVendorReceiver({
    check: (req) => {
      const auth = header(req, 'authorization') ?? '';
      if (
        auth !== `Basic ${Buffer.from('bot@example.com:api-token-123456').toString('base64')}` &&
        auth !== 'Bearer personal-access-token-987'
      )
        return 'not authenticated';
      return undefined;
    },
    respond,
  });
});
afterAll(() => rx.close());
beforeEach(() => {
  rx.received.length = 0;
  Object.assign(fake, { cloud: true, ticket: undefined, failAssign: false });
});

const base = (extra: Doc = {}): Doc => ({
  name: 'disk rule',
  type: 'any',
  jira_server: rx.url,
  jira_project: 'OPS',
  jira_issuetype: 'Task',
  jira_account_file: 'basic.yaml',
  ...extra,
});
async function send(options: Doc, matches: Doc[] = [MATCH], log = captureLog()) {
  const alerter = jiraAlerter.create(options, deps(log, dir));
  return alerter.send(
    alertContent(options, matches, () => ''),
    signal(),
  );
}
const calls = () => rx.received.map((r) => `${r.method} ${r.pathname}`);

describe('jira', () => {
  it('Cloud: assignee and watchers by account id', async () => {
    expect(await send(base({ jira_assignee: 'ana@example.com', jira_watchers: ['bo'] }))).toEqual({
      ok: true,
    });
    expect(calls()).toEqual([
      'GET /rest/api/2/serverInfo',
      'POST /rest/api/2/issue',
      'GET /rest/api/2/user/search',
      'PUT /rest/api/2/issue/OPS-9/assignee',
      'GET /rest/api/2/user/search',
      'POST /rest/api/2/issue/OPS-9/watchers',
    ]);
    expect(rx.received[3]!.json).toEqual({ accountId: 'acc-ana@example.com' });
    expect(rx.received[5]!.json).toBe('acc-bo');
  });

  it('a personal access token goes as Bearer', async () => {
    expect(await send(base({ jira_account_file: 'pat.yaml' }))).toEqual({ ok: true });
    expect(header(rx.received[0]!, 'authorization')).toBe('Bearer personal-access-token-987');
  });

  it('bumps a ticket found by the enhanced search: a comment per match, labels, transition; no new issue', async () => {
    fake.ticket = { key: 'OPS-7', fields: { updated: '2024-01-01T00:00:00.000+0000' } };
    const options = base({
      jira_bump_tickets: true,
      jira_labels: 'recurring',
      jira_transition_to: 'Reopen',
      query_key: 'host',
      jira_bump_not_in_statuses: ['Done', 'Won t Do'],
    });
    expect(await send(options, [MATCH, { ...MATCH, '@timestamp': '2024-05-14T03:25:00Z' }])).toEqual({
      ok: true,
    });
    expect(calls()).toEqual([
      'GET /rest/api/2/search/jql',
      'POST /rest/api/2/issue/OPS-7/comment',
      'POST /rest/api/2/issue/OPS-7/comment',
      'PUT /rest/api/2/issue/OPS-7',
      'GET /rest/api/2/issue/OPS-7/transitions',
      'POST /rest/api/2/issue/OPS-7/transitions',
    ]);
    const jql = rx.received[0]!.query.get('jql')!;
    expect(jql).toMatch(
      /^project=OPS AND summary~"ElastAlert: web-1 matched disk rule" and created >= "\d{4}-\d\d-\d\d" and status not in \(Done,"Won t Do"\)$/,
    );
    expect((rx.received[1]!.json as Doc).body).toMatch(
      /^This alert was triggered again at 2024-05-14 \d\d:\d\d \S+\n/,
    );
    expect(rx.received[3]!.json).toEqual({ update: { labels: [{ add: 'recurring' }] } });
    expect(rx.received[5]!.json).toEqual({ transition: { id: '31' } });
  });

  it('Server: falls back to the classic search once, and remembers it', async () => {
    fake.cloud = false;
    const log = captureLog();
    const alerter = jiraAlerter.create(base({ jira_bump_tickets: true }), deps(log, dir));
    const content = alertContent(base(), [MATCH]);
    expect(await alerter.send(content, signal())).toEqual({ ok: true });
    expect(await alerter.send(content, signal())).toEqual({ ok: true });
    expect(calls()).toEqual([
      'GET /rest/api/2/search/jql',
      'GET /rest/api/2/search',
      'POST /rest/api/2/issue',
      'GET /rest/api/2/search',
      'POST /rest/api/2/issue',
    ]);
  });

  it('leaves a recently updated ticket alone, and jira_bump_only opens nothing', async () => {
    fake.ticket = { key: 'OPS-7', fields: { updated: new Date().toISOString() } };
    expect(await send(base({ jira_bump_tickets: true, jira_bump_after_inactivity: 2 }))).toEqual({
      ok: true,
    });
    expect(calls()).toEqual(['GET /rest/api/2/search/jql']);
    fake.ticket = undefined;
    rx.received.length = 0;
    expect(await send(base({ jira_bump_tickets: true, jira_bump_only: true }))).toEqual({ ok: true });
    expect(calls()).toEqual(['GET /rest/api/2/search/jql']);
  });

  it('arbitrary fields by name, from the match with #; an unknown field fails permanently', async () => {
    expect(await send(base({ jira_affected_host: '#host', jira_teams: ['sre', 'db'] }))).toEqual({
      ok: true,
    });
    const fields = (rx.received.find((r) => r.pathname === '/rest/api/2/issue')!.json as { fields: Doc })
      .fields;
    expect(fields).toMatchObject({
      customfield_1: 'web-1',
      customfield_2: [{ value: 'sre' }, { value: 'db' }],
    });
    expect(await send(base({ jira_no_such_thing: 'x' }))).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/no field named "no such thing"/),
    });
  });

  it('once the issue exists, a failed assignment is permanent and names the issue', async () => {
    fake.failAssign = true;
    fake.cloud = false;
    expect(await send(base({ jira_assignee: 'ana' }))).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/assignee: User cannot be assigned.*issue OPS-9 was created/),
    });
  });

  it('an account file without credentials is refused when the rule loads', () => {
    writeFileSync(join(dir, 'empty.yaml'), 'user: someone\n');
    expect(() =>
      jiraAlerter.create(base({ jira_account_file: 'empty.yaml' }), deps(captureLog(), dir)),
    ).toThrow(OptionProblem);
    expect(() =>
      jiraAlerter.create(base({ jira_account_file: 'missing.yaml' }), deps(captureLog(), dir)),
    ).toThrow(/cannot read/);
  });
});

describe('jira fields and titles', () => {
  const fields = [
    { id: 'labels', name: 'Labels', schema: { type: 'array', items: 'string' } },
    {
      id: 'customfield_3',
      name: 'Impacted Areas',
      schema: {
        type: 'array',
        items: 'string',
        custom: 'com.atlassian.jira.plugin.system.customfieldtypes:multiselect',
      },
    },
    { id: 'customfield_4', name: 'Story Points', schema: { type: 'number' } },
    { id: 'customfield_5', name: 'Severity', schema: { type: 'option' } },
    { id: 'customfield_6', name: 'Owner', schema: { type: 'user' } },
    { id: 'customfield_7', name: 'Counts', schema: { type: 'array', items: 'number' } },
    {
      id: 'customfield_8',
      name: 'Env',
      schema: { type: 'string', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:radiobuttons' },
    },
  ];
  it('shapes values by the field schema, found by name or id', () => {
    expect(jiraFieldValue('jira_labels', 'one', fields)).toEqual(['labels', ['one']]);
    expect(jiraFieldValue('jira_impacted_areas', ['a'], fields)).toEqual(['customfield_3', [{ value: 'a' }]]);
    expect(jiraFieldValue('jira_story_points', '5.7', fields)).toEqual(['customfield_4', 5]);
    expect(jiraFieldValue('jira_severity', 'High', fields)).toEqual(['customfield_5', { value: 'High' }]);
    expect(jiraFieldValue('jira_owner', 'ana', fields)).toEqual(['customfield_6', { name: 'ana' }]);
    expect(jiraFieldValue('jira_counts', ['1', 2], fields)).toEqual(['customfield_7', [1, 2]]);
    expect(jiraFieldValue('jira_env', 'prod', fields)).toEqual(['customfield_8', { value: 'prod' }]);
    expect(jiraFieldValue('jira_customfield_4', 3, fields)).toEqual(['customfield_4', 3]);
  });

  it("builds ElastAlert 2's default title and a JQL that quotes cannot break", () => {
    const rule = { query_key: 'host' };
    expect(jiraDefaultTitle(rule, 'r', [{ ...MATCH, spike_count: 12 }])).toBe(
      'ElastAlert: web-1 matched r - 2024-05-14 03:21 UTC - 12+ events',
    );
    expect(jiraDefaultTitle({}, 'r', [MATCH], true)).toBe('ElastAlert: r');
    expect(jiraBumpQuery({ project: 'OPS', maxAgeDays: 30 }, 'a - "b" \\ c', Date.UTC(2024, 4, 31))).toBe(
      'project=OPS AND summary~"a \\"b\\" \\\\ c" and created >= "2024-05-01"',
    );
  });
});
