/**
 * ElastAlert 2's `jira`: opens a Jira issue per alert through the REST API v2 (Server/Data Center
 * and Cloud), with components, labels, priority, parent, assignee, watchers and arbitrary fields;
 * or, with jira_bump_tickets, comments on a recent ticket with the same summary (and transitions
 * it). Credentials come from jira_account_file: user and password (Cloud: email and API token,
 * Basic auth) or apikey (a personal access token, Bearer).
 */
import { readFileSync } from 'node:fs';
import { parseYaml } from '../config/yaml-source.ts';
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { Doc } from '../model/lookup.ts';
import { lookupField, pythonStr } from '../model/lookup.ts';
import { prettyTimestamp } from '../util/time.ts';
import type { AlertContent, AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { type HttpOptions, type HttpResult, retryAfterMs } from './http.ts';
import {
  arbitraryJiraOptions,
  JIRA_OWN_OPTIONS,
  type JiraField,
  JiraFieldError,
  jiraBumpQuery,
  jiraDefaultTitle,
  jiraFieldValue,
} from './jira-fields.ts';
import { readOptions } from './options.ts';
import { displayUrl, urlSecrets } from './url-secrets.ts';
import { exchange, failed, isRetryableStatus, isSuccess, type Reply } from './send-request.ts';
import { basicAuth, checkUrl, rulePath, seconds, transport } from './transport.ts';

const schema = z.looseObject({
  jira_server: z.string({ error: 'is required: the Jira URL, e.g. https://example.atlassian.net' }),
  jira_project: z.string({ error: 'is required: the project key' }),
  jira_issuetype: z.string({ error: 'is required: the issue type (case-sensitive), e.g. Bug' }),
  jira_account_file: z.string({ error: 'is required: a YAML file with user and password, or apikey' }),
  jira_assignee: z.string().optional(),
  jira_components: stringList.optional(),
  jira_component: stringList.optional(),
  jira_description: z.string().default(''),
  jira_labels: stringList.optional(),
  jira_label: stringList.optional(),
  jira_priority: z.int().nonnegative().optional(),
  jira_watchers: stringList.default([]),
  jira_bump_tickets: z.boolean().default(false),
  jira_ignore_in_title: z.string().optional(),
  jira_max_age: z.number().nonnegative().default(30),
  jira_bump_not_in_statuses: stringList.optional(),
  jira_bump_in_statuses: stringList.optional(),
  jira_bump_only: z.boolean().default(false),
  jira_transition_to: z.string().optional(),
  jira_bump_after_inactivity: z.number().nonnegative().default(0),
  jira_parent: z.string().optional(),
  jira_timeout: seconds(10),
});
type JiraOptions = z.output<typeof schema>;

type JiraAuth =
  { kind: 'basic'; header: string; secrets: string[] } | { kind: 'token'; header: string; secrets: string[] };

function readAccount(ruleDir: string, file: string): JiraAuth {
  const path = rulePath(ruleDir, file);
  let doc: unknown;
  try {
    doc = parseYaml(path, readFileSync(path, 'utf8')).value; // as ElastAlert 2 reads it (PyYAML)
  } catch (err) {
    throw new OptionProblem(
      'jira_account_file',
      `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`,
    );
  }
  const d = (doc ?? {}) as Doc;
  if (d.apikey !== undefined && d.apikey !== null) {
    const key = String(d.apikey);
    return { kind: 'token', header: `Bearer ${key}`, secrets: key.length >= 4 ? [key] : [] };
  }
  if (d.user === undefined || d.password === undefined)
    throw new OptionProblem(
      'jira_account_file',
      `${path} must hold "user:" and "password:" lines, or "apikey:"`,
    );
  const basic = basicAuth(String(d.user), String(d.password));
  return { kind: 'basic', header: basic.header, secrets: basic.secrets };
}

interface Metadata {
  cloud: boolean;
  priorities: string[];
  fields: JiraField[];
}

/** Jira's error reply {"errorMessages": [...], "errors": {...}} in one line. */
function jiraErrors(body: string): string {
  try {
    const d = JSON.parse(body) as { errorMessages?: unknown[]; errors?: Record<string, unknown> };
    const parts = [
      ...(d.errorMessages ?? []).map(String),
      ...Object.entries(d.errors ?? {}).map(([k, v]) => `${k}: ${String(v)}`),
    ];
    if (parts.length) return parts.join('; ').slice(0, 400);
  } catch {
    // not JSON (an HTML error page)
  }
  return body.replace(/\s+/g, ' ').slice(0, 200);
}

class JiraCallFailed extends Error {
  readonly outcome: SendOutcome & { ok: false };
  constructor(outcome: SendOutcome & { ok: false }) {
    super(outcome.reason);
    this.outcome = outcome;
  }
}

export const jiraAlerter: AlerterDefinition = {
  name: 'jira',
  aliases: ['elastalert.alerters.jira.JiraAlerter'],
  summary:
    'Jira issue per alert (REST API v2): components, labels, priority, watchers, arbitrary fields, bumping.',
  optionNames: [...JIRA_OWN_OPTIONS],
  optionPrefixes: ['jira_'],
  create(options, deps) {
    const o: JiraOptions = readOptions(schema, options);
    const base = checkUrl('jira_server', o.jira_server, 'https://example.atlassian.net').replace(/\/+$/, '');
    if (o.jira_bump_in_statuses?.length && o.jira_bump_not_in_statuses?.length)
      deps.logger.warn(
        'both jira_bump_in_statuses and jira_bump_not_in_statuses are set; use only one of them',
      );
    const auth = readAccount(deps.ruleDir, o.jira_account_file);
    // only the timeout: other jira_* options name issue fields
    const t = transport({ jira_timeout: o.jira_timeout }, 'jira', deps);
    const http = (method: HttpOptions['method']): HttpOptions => ({
      ...t.http,
      method,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: auth.header },
    });
    const components = o.jira_components ?? o.jira_component;
    const labels = o.jira_labels ?? o.jira_label;
    let metadata: Metadata | undefined;
    let searchPath: string | undefined;

    /** One call; a failure becomes a JiraCallFailed carrying its outcome. */
    const call = async (
      method: NonNullable<HttpOptions['method']>,
      path: string,
      body: unknown,
      signal: AbortSignal,
      what: string,
      accept: (r: HttpResult) => boolean = (r) => isSuccess(r.status),
    ): Promise<Reply> => {
      const read = (r: Reply): SendOutcome => {
        if (accept(r)) return { ok: true };
        const hint =
          r.status === 401
            ? ' (check jira_account_file)'
            : r.status === 403
              ? ' (the Jira user lacks a permission for this)'
              : '';
        const reason = `Jira ${what}: HTTP ${r.status}: ${jiraErrors(r.body)}${hint}`;
        return failed(isRetryableStatus(r.status), reason, retryAfterMs(r.headers));
      };
      const json = body === undefined ? undefined : JSON.stringify(body);
      const sent = await exchange(
        `${base}${path}`,
        json,
        { service: 'Jira', http: http(method), read },
        signal,
      );
      if (!sent.outcome.ok) throw new JiraCallFailed(sent.outcome);
      return sent.reply;
    };
    const json = <T>(r: HttpResult): T => JSON.parse(r.body) as T;

    const loadMetadata = async (content: AlertContent, signal: AbortSignal): Promise<Metadata> => {
      if (metadata) return metadata;
      const needsFields = arbitraryJiraOptions(content.options, undefined).length > 0;
      const needsUsers = o.jira_assignee !== undefined || o.jira_watchers.length > 0;
      const info = needsUsers
        ? json<{ deploymentType?: string }>(
            await call('GET', '/rest/api/2/serverInfo', undefined, signal, 'server info'),
          )
        : {};
      const priorities =
        o.jira_priority !== undefined
          ? json<{ id: string }[]>(
              await call('GET', '/rest/api/2/priority', undefined, signal, 'priorities'),
            ).map((p) => String(p.id))
          : [];
      const fields = needsFields
        ? json<JiraField[]>(await call('GET', '/rest/api/2/field', undefined, signal, 'fields'))
        : [];
      metadata = { cloud: info.deploymentType === 'Cloud', priorities, fields };
      return metadata;
    };

    /** A user as the API wants it: Cloud identifies users by accountId, Server by name. */
    const userRef = async (user: string, meta: Metadata, signal: AbortSignal): Promise<string> => {
      if (!meta.cloud) return user;
      const found = json<{ accountId?: string }[]>(
        await call(
          'GET',
          `/rest/api/2/user/search?query=${encodeURIComponent(user)}`,
          undefined,
          signal,
          `user search for ${user}`,
        ),
      );
      const id = found[0]?.accountId;
      if (!id)
        throw new JiraCallFailed({
          ok: false,
          retryable: false,
          reason: `Jira has no user matching "${user}"`,
        });
      return id;
    };

    const findTicket = async (content: AlertContent, signal: AbortSignal) => {
      let title =
        content.options.alert_subject !== undefined
          ? content.title
          : jiraDefaultTitle(content.options, content.ruleName, content.matches, true);
      if (o.jira_ignore_in_title) {
        const v = content.matches[0]?.[o.jira_ignore_in_title];
        if (v !== undefined && v !== null && pythonStr(v) !== '') title = title.replaceAll(pythonStr(v), '');
      }
      const jql = jiraBumpQuery(
        {
          project: o.jira_project,
          maxAgeDays: o.jira_max_age,
          ...(o.jira_bump_in_statuses ? { inStatuses: o.jira_bump_in_statuses } : {}),
          ...(o.jira_bump_not_in_statuses ? { notInStatuses: o.jira_bump_not_in_statuses } : {}),
        },
        title,
      );
      const query = `?jql=${encodeURIComponent(jql)}&maxResults=1&fields=updated`;
      // Cloud has the enhanced search (search/jql); Server and Data Center the classic one
      for (const path of searchPath ? [searchPath] : ['/rest/api/2/search/jql', '/rest/api/2/search']) {
        const r = await call(
          'GET',
          `${path}${query}`,
          undefined,
          signal,
          'search',
          (x) => (x.status >= 200 && x.status < 300) || x.status === 404,
        );
        if (r.status === 404) continue;
        searchPath = path;
        return json<{ issues?: { key: string; fields?: { updated?: string } }[] }>(r).issues?.[0];
      }
      return undefined;
    };

    const bump = async (
      ticket: { key: string; fields?: { updated?: string } },
      content: AlertContent,
      signal: AbortSignal,
    ) => {
      const updated = Date.parse(ticket.fields?.updated ?? '');
      if (!Number.isNaN(updated) && updated >= Date.now() - o.jira_bump_after_inactivity * 86_400_000) {
        deps.logger.info(
          { ticket: ticket.key },
          'the matching Jira ticket was updated recently; not commenting',
        );
        return;
      }
      const tsField =
        typeof content.options.timestamp_field === 'string' ? content.options.timestamp_field : '@timestamp';
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      const path = `/rest/api/2/issue/${encodeURIComponent(ticket.key)}`;
      // as ElastAlert 2: a step that fails is logged, and the alert still counts as handled
      const step = async (what: string, run: () => Promise<unknown>) => {
        try {
          await run();
        } catch (err) {
          if (!(err instanceof JiraCallFailed)) throw err;
          deps.logger.warn({ ticket: ticket.key }, `Jira ${what} failed: ${err.message}`);
        }
      };
      for (const [i, match] of content.matches.entries()) {
        const raw = lookupField(match, tsField);
        const ts = typeof raw === 'number' ? raw : Date.parse(pythonStr(raw));
        const when = Number.isNaN(ts) ? pythonStr(raw) : prettyTimestamp(ts, zone);
        const body = `This alert was triggered again at ${when}\n${content.matchTexts[i] ?? ''}`;
        await step('comment', () =>
          call('POST', `${path}/comment`, { body }, signal, `comment on ${ticket.key}`),
        );
      }
      if (labels?.length)
        await step('labels', () =>
          call(
            'PUT',
            path,
            { update: { labels: labels.map((l) => ({ add: l })) } },
            signal,
            `labels of ${ticket.key}`,
          ),
        );
      const transition = o.jira_transition_to;
      if (transition)
        await step('transition', async () => {
          const r = await call('GET', `${path}/transitions`, undefined, signal, 'transitions');
          const t = json<{ transitions?: { id: string; name: string }[] }>(r).transitions?.find(
            (x) => x.name === transition,
          );
          if (t)
            await call(
              'POST',
              `${path}/transitions`,
              { transition: { id: t.id } },
              signal,
              `transition of ${ticket.key}`,
            );
          else
            deps.logger.warn(
              { ticket: ticket.key },
              `Jira offers no transition named "${transition}" (jira_transition_to)`,
            );
        });
    };

    const create = async (content: AlertContent, meta: Metadata, signal: AbortSignal): Promise<string> => {
      const fields: Doc = {
        project: { key: o.jira_project },
        issuetype: { name: o.jira_issuetype },
        ...(o.jira_parent ? { parent: { key: o.jira_parent } } : {}),
        ...(components?.length ? { components: components.map((name) => ({ name })) } : {}),
        ...(labels?.length ? { labels } : {}),
      };
      if (o.jira_priority !== undefined) {
        const id = meta.priorities[o.jira_priority];
        if (id !== undefined) fields.priority = { id };
        else
          deps.logger.error(
            `jira_priority ${o.jira_priority} does not exist: Jira has ${meta.priorities.length} priorities (0 is the first)`,
          );
      }
      for (const [option, value] of arbitraryJiraOptions(content.options, content.matches[0])) {
        const [id, v] = jiraFieldValue(option, value, meta.fields);
        fields[id] = v;
      }
      fields.summary =
        content.options.alert_subject !== undefined
          ? content.title
          : jiraDefaultTitle(content.options, content.ruleName, content.matches);
      fields.description = `${o.jira_description}\n${content.body}`;
      const created = json<{ key: string }>(
        await call('POST', '/rest/api/2/issue', { fields }, signal, 'create issue'),
      );
      const key = created.key;
      // the issue exists from here on: a failure must not make the pipeline open a second one
      try {
        if (o.jira_assignee) {
          const who = await userRef(o.jira_assignee, meta, signal);
          await call(
            'PUT',
            `/rest/api/2/issue/${encodeURIComponent(key)}/assignee`,
            meta.cloud ? { accountId: who } : { name: who },
            signal,
            `assign ${key}`,
          );
        }
        for (const watcher of o.jira_watchers) {
          const who = await userRef(watcher, meta, signal);
          await call(
            'POST',
            `/rest/api/2/issue/${encodeURIComponent(key)}/watchers`,
            who,
            signal,
            `add watcher ${watcher} (does the user exist?)`,
          );
        }
      } catch (err) {
        if (err instanceof JiraCallFailed)
          throw new JiraCallFailed({
            ok: false,
            retryable: false,
            reason: `${err.outcome.reason} (issue ${key} was created)`,
          });
        throw err;
      }
      return key;
    };

    return channelAlerter({
      type: 'jira',
      service: 'Jira',
      channel: `jira:${displayUrl(base)}/${o.jira_project}`,
      info: { type: 'jira', jira_server: displayUrl(base), jira_project: o.jira_project },
      secrets: [...auth.secrets, ...urlSecrets(base)],
      logger: deps.logger,
      send: async (content, signal): Promise<SendOutcome> => {
        try {
          const meta = await loadMetadata(content, signal);
          if (o.jira_bump_tickets) {
            const ticket = await findTicket(content, signal);
            if (ticket) {
              await bump(ticket, content, signal);
              deps.logger.info({ ticket: ticket.key }, 'bumped the existing Jira ticket');
              return { ok: true };
            }
          }
          if (o.jira_bump_only) return { ok: true };
          const key = await create(content, meta, signal);
          deps.logger.info({ ticket: key }, `opened Jira ticket ${key}`);
          return { ok: true };
        } catch (err) {
          if (err instanceof JiraCallFailed) return err.outcome;
          if (err instanceof JiraFieldError) return failed(false, err.message);
          if (err instanceof SyntaxError)
            return failed(
              false,
              `Jira answered something other than JSON (${err.message}); is jira_server right?`,
            );
          throw err;
        }
      },
    });
  },
};
