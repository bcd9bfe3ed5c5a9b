/**
 * Opsgenie alerts (ElastAlert 2's `opsgenie`): POST /v2/alerts with `Authorization: GenieKey
 * <key>`. message, description, alias, entity, source, priority, tags and the URL take Python
 * `{field}` placeholders from the first match; recipients and teams take `{name}` placeholders
 * filled through *_args. Opsgenie answers 202; 401/403 for the key, 422 for a payload it cannot
 * process, 429 when throttled.
 */
import { z } from 'zod';
import { FormatError, pythonFormat } from '../format/python-format.ts';
import { stringList } from '../config/fields.ts';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { matchTextsBody } from './chat-text.ts';
import { defaultEmailSubject } from './email.ts';
import { readOptions } from './options.ts';
import { argValues } from '../format/alert-text.ts';
import { failed, postJson, statusHints } from './send-request.ts';
import { checkUrl, required, seconds, transport } from './transport.ts';
import { displayUrl, urlDigest } from './url-secrets.ts';
import type { Logger } from 'pino';

const responderArgs = z.record(z.string(), z.string()).optional();

const schema = z.object({
  opsgenie_key: required('the API key of an Opsgenie API integration'),
  opsgenie_account: z.string().optional(),
  opsgenie_addr: z.string().default('https://api.opsgenie.com/v2/alerts'),
  opsgenie_recipients: stringList.optional(),
  opsgenie_recipients_args: responderArgs,
  opsgenie_default_recipients: stringList.optional(),
  opsgenie_default_receipients: stringList.optional(),
  opsgenie_teams: stringList.optional(),
  opsgenie_teams_args: responderArgs,
  opsgenie_default_teams: stringList.optional(),
  opsgenie_tags: stringList.default([]),
  opsgenie_message: z.string().optional(),
  opsgenie_description: z.string().optional(),
  opsgenie_alias: z.string().optional(),
  opsgenie_subject: z.string().optional(),
  opsgenie_subject_args: z.array(z.string()).optional(),
  opsgenie_priority: z.string().optional(),
  opsgenie_details: z
    .record(z.string(), z.union([z.string(), z.looseObject({ field: z.string().min(1) })]))
    .default({}),
  opsgenie_proxy: z.string().optional(),
  opsgenie_source: z.string().default('ElastAlert'),
  opsgenie_entity: z.string().optional(),
  opsgenie_timeout: seconds(10),
});
type OpsgenieOptions = z.output<typeof schema>;

/** `template.format(**match)`, the problem named after the option. */
function formatWith(option: string, template: string, match: Match): string {
  try {
    return pythonFormat(template, [], match);
  } catch (err) {
    if (err instanceof FormatError) throw new FormatError(`${option}: ${err.message}`);
    throw err;
  }
}

/**
 * Recipients or teams with their `{name}` placeholders filled from *_args (name: match field).
 * Entries that cannot be filled are skipped; when none can, the defaults are used, and without
 * defaults the entries as written.
 */
function responders(
  list: string[] | undefined,
  args: Record<string, string> | undefined,
  defaults: string[] | undefined,
  match: Match,
  logger: Logger,
): string[] | undefined {
  if (!list) return undefined;
  const values: Doc = {};
  for (const [name, field] of Object.entries(args ?? {})) {
    const v = lookupField(match, field);
    if (v !== undefined && v !== null && v !== '' && v !== false && v !== 0) values[name] = v;
  }
  const out: string[] = [];
  for (const entry of list) {
    try {
      out.push(pythonFormat(entry, [], values));
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      logger.warn(`opsgenie: cannot fill responder "${entry}": ${err.message}`);
    }
  }
  if (out.length) return out;
  logger.warn('opsgenie: no responder could be filled; using the defaults');
  return defaults?.length ? defaults : list;
}

/** os.path.expandvars: $NAME and ${NAME} replaced when set, left as written when not. */
export function expandVars(text: string, env: (name: string) => string | undefined): string {
  return text.replace(
    /\$(?:(\w+)|\{([^}]*)\})/g,
    (all, bare: string | undefined, braced: string | undefined) => {
      const v = env((bare ?? braced)!);
      return v === undefined ? all : v;
    },
  );
}

export function opsgenieTitle(
  o: OpsgenieOptions,
  content: Pick<AlertContent, 'ruleName' | 'options' | 'matches'>,
): string {
  const first = content.matches[0] ?? {};
  if (!o.opsgenie_subject) return defaultEmailSubject(content.ruleName, content.options, content.matches);
  if (!o.opsgenie_subject_args) return o.opsgenie_subject;
  // as ElastAlert 2: the missing marker here is always "<MISSING VALUE>"
  const values = argValues(
    { ...content.options, alert_missing_value: '<MISSING VALUE>' },
    first,
    o.opsgenie_subject_args,
  );
  return pythonFormat(o.opsgenie_subject, values);
}

const PRIORITIES = new Set(['P1', 'P2', 'P3', 'P4', 'P5']);

/** The alert for Opsgenie; throws FormatError when a placeholder names a field the match lacks. */
export function opsgeniePayload(
  o: OpsgenieOptions,
  content: Pick<AlertContent, 'ruleName' | 'options' | 'matches' | 'matchTexts'>,
  env: (name: string) => string | undefined,
  logger: Logger,
): Doc {
  const first = content.matches[0] ?? {};
  const post: Doc = {
    message: o.opsgenie_message
      ? formatWith('opsgenie_message', o.opsgenie_message, first)
      : opsgenieTitle(o, content),
  };
  if (o.opsgenie_account) post.user = o.opsgenie_account;
  const recipients = responders(
    o.opsgenie_recipients,
    o.opsgenie_recipients_args,
    o.opsgenie_default_recipients ?? o.opsgenie_default_receipients,
    first,
    logger,
  );
  const teams = responders(o.opsgenie_teams, o.opsgenie_teams_args, o.opsgenie_default_teams, first, logger);
  const people = (recipients ?? []).map((r) => ({ username: r, type: 'user' }));
  const groups = (teams ?? []).map((t) => ({ name: t, type: 'team' }));
  // Opsgenie's v2 API routes to teams through `responders`; `teams` is kept as ElastAlert 2 sends it
  if (people.length || groups.length) post.responders = [...people, ...groups];
  if (groups.length) post.teams = groups;
  post.description = o.opsgenie_description
    ? formatWith('opsgenie_description', o.opsgenie_description, first)
    : matchTextsBody(content);
  if (o.opsgenie_entity) post.entity = formatWith('opsgenie_entity', o.opsgenie_entity, first);
  if (o.opsgenie_source) post.source = formatWith('opsgenie_source', o.opsgenie_source, first);
  post.tags = [...o.opsgenie_tags, 'ElastAlert', content.ruleName].map((t) =>
    formatWith('opsgenie_tags', t, first),
  );
  const priority = o.opsgenie_priority
    ? formatWith('opsgenie_priority', o.opsgenie_priority, first)
    : undefined;
  if (priority && !PRIORITIES.has(priority))
    logger.warn(`opsgenie_priority "${priority}" is not one of P1..P5; the alert is sent without a priority`);
  else post.priority = priority ?? null;
  if (o.opsgenie_alias !== undefined) post.alias = formatWith('opsgenie_alias', o.opsgenie_alias, first);
  const details: Doc = {};
  for (const [key, value] of Object.entries(o.opsgenie_details)) {
    if (typeof value === 'string') details[key] = expandVars(value, env);
    else {
      const v = lookupField(first, value.field);
      if (v !== undefined) details[key] = pythonStr(v);
    }
  }
  if (Object.keys(details).length) post.details = details;
  return post;
}

const readOpsgenieReply = statusHints(
  {
    400: 'Opsgenie could not process the alert',
    401: 'the key is not valid for this account or region: check opsgenie_key and opsgenie_addr (api.eu.opsgenie.com for EU)',
    403: 'the key is not valid for this account or region: check opsgenie_key and opsgenie_addr (api.eu.opsgenie.com for EU)',
    404: 'check opsgenie_addr',
    422: 'Opsgenie could not process the alert',
    429: 'Opsgenie is throttling this integration',
  },
  'Opsgenie failed',
);

export const opsgenieAlerter: AlerterDefinition = {
  name: 'opsgenie',
  aliases: ['elastalert.alerters.opsgenie.OpsGenieAlerter'],
  summary: 'Opsgenie alerts via the Alert API v2 (ElastAlert 2 opsgenie_*).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    if (o.opsgenie_default_receipients)
      deps.logger.warn('opsgenie_default_receipients is deprecated: use opsgenie_default_recipients');
    const env = deps.env ?? (() => undefined);
    const t = transport(o, 'opsgenie', deps);
    const spec = {
      service: 'Opsgenie',
      http: { ...t.http, headers: { Authorization: `GenieKey ${o.opsgenie_key}` } },
      read: readOpsgenieReply,
    };
    const hasPlaceholder = o.opsgenie_addr.includes('{');
    if (!hasPlaceholder) checkUrl('opsgenie_addr', o.opsgenie_addr, 'https://api.opsgenie.com/v2/alerts');
    return channelAlerter({
      type: 'opsgenie',
      service: 'Opsgenie',
      channel: `opsgenie:${urlDigest(`${o.opsgenie_addr}\n${o.opsgenie_key}`)}`,
      info: {
        type: 'opsgenie',
        ...(o.opsgenie_recipients ? { recipients: o.opsgenie_recipients } : {}),
        ...(o.opsgenie_account ? { account: o.opsgenie_account } : {}),
        ...(o.opsgenie_teams ? { teams: o.opsgenie_teams } : {}),
      },
      secrets: [o.opsgenie_key, ...t.secrets],
      logger: deps.logger,
      send: async (content, signal) => {
        const first = content.matches[0] ?? {};
        const target = hasPlaceholder ? formatWith('opsgenie_addr', o.opsgenie_addr, first) : o.opsgenie_addr;
        if (hasPlaceholder && !/^https?:\/\/[^/]/i.test(target))
          return failed(
            false,
            `opsgenie_addr: filled in from the match it is not an http(s) URL (${displayUrl(target)})`,
          );
        const payload = opsgeniePayload(o, content, env, deps.logger);
        deps.logger.debug({ url: displayUrl(target) }, 'sending to Opsgenie');
        return postJson(target, payload, spec, signal);
      },
    });
  },
};
