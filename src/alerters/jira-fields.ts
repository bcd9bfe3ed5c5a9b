/**
 * The parts of ElastAlert 2's Jira alerter that are pure data: its default title, the JQL that
 * finds a ticket to bump, and how an arbitrary `jira_<field>` option becomes an issue field
 * according to the field's schema from GET /rest/api/2/field.
 */
import type { Match } from '../model/match.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import { prettyTimestamp } from '../util/time.ts';

/** The options the Jira alerter itself reads; every other `jira_*` option names an issue field. */
export const JIRA_OWN_OPTIONS = [
  'jira_server',
  'jira_project',
  'jira_issuetype',
  'jira_account_file',
  'jira_assignee',
  'jira_bump_after_inactivity',
  'jira_bump_in_statuses',
  'jira_bump_not_in_statuses',
  'jira_bump_only',
  'jira_bump_tickets',
  'jira_component',
  'jira_components',
  'jira_description',
  'jira_ignore_in_title',
  'jira_label',
  'jira_labels',
  'jira_max_age',
  'jira_priority',
  'jira_transition_to',
  'jira_watchers',
  'jira_parent',
  'jira_timeout',
] as const;

export interface JiraField {
  id: string;
  name: string;
  schema?: { type?: string; items?: string; custom?: string };
}

const OBJECT_VALUED_CUSTOM = new Set([
  'com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes',
  'com.atlassian.jira.plugin.system.customfieldtypes:multiselect',
  'com.atlassian.jira.plugin.system.customfieldtypes:radiobuttons',
]);

export class JiraFieldError extends Error {}

const normalize = (s: string) => s.replace(/_/g, ' ').toLowerCase();

/** One arbitrary option as [field id, value in the shape Jira wants]. */
export function jiraFieldValue(
  option: string,
  value: unknown,
  fields: readonly JiraField[],
): [string, unknown] {
  const wanted = normalize(option.slice('jira_'.length));
  const field =
    fields.find((f) => normalize(f.name) === wanted) ?? fields.find((f) => normalize(f.id) === wanted);
  if (!field) throw new JiraFieldError(`${option}: Jira has no field named "${wanted}" (by name or id)`);
  const type = field.schema?.type;
  if (!type) throw new JiraFieldError(`${option}: Jira gives no schema for the field "${wanted}"`);
  const special = field.schema?.custom !== undefined && OBJECT_VALUED_CUSTOM.has(field.schema.custom);
  if (type === 'array') {
    const list = Array.isArray(value) ? value : [value];
    const items = field.schema?.items;
    if (items === 'string' || items === 'date' || items === 'datetime')
      return [field.id, special ? list.map((v) => ({ value: v })) : list];
    if (items === 'number') return [field.id, list.map((v) => Math.trunc(Number(v)))];
    if (items === 'option') return [field.id, list.map((v) => ({ value: v }))];
    return [field.id, list.map((v) => ({ name: v }))];
  }
  if (type === 'string' || type === 'date' || type === 'datetime')
    return [field.id, special ? { value } : value];
  if (type === 'number') return [field.id, Math.trunc(Number(value))];
  if (type === 'option') return [field.id, { value }];
  return [field.id, { name: value }];
}

/** The arbitrary options of a rule: static ones, and `#field` ones read from the first match. */
export function arbitraryJiraOptions(rule: Doc, match: Match | undefined): [string, unknown][] {
  const own = new Set<string>(JIRA_OWN_OPTIONS);
  return Object.entries(rule)
    .filter(([k]) => k.startsWith('jira_') && !own.has(k))
    .map(([k, v]) => [
      k,
      typeof v === 'string' && v.startsWith('#') ? (match ? lookupField(match, v.slice(1)) : undefined) : v,
    ]);
}

const truthy = (v: unknown) => !(v === undefined || v === null || v === false || v === 0 || v === '');

/** "ElastAlert: <qk value> matched <name>" or "ElastAlert: <name>", then the time and a spike's count. */
export function jiraDefaultTitle(
  rule: Doc,
  ruleName: string,
  matches: readonly Match[],
  forSearch = false,
): string {
  const first = matches[0] ?? {};
  const qk = typeof rule.query_key === 'string' ? lookupField(first, rule.query_key) : undefined;
  let title = truthy(qk) ? `ElastAlert: ${pythonStr(qk)} matched ${ruleName}` : `ElastAlert: ${ruleName}`;
  if (forSearch) return title;
  const tsField = typeof rule.timestamp_field === 'string' ? rule.timestamp_field : '@timestamp';
  const ts = first[tsField];
  if (truthy(ts)) {
    const ms = typeof ts === 'number' ? ts : Date.parse(String(ts));
    const zone = rule.use_local_time ? Intl.DateTimeFormat().resolvedOptions().timeZone : 'UTC';
    if (!Number.isNaN(ms)) title += ` - ${prettyTimestamp(ms, zone)}`;
  }
  if (truthy(first.spike_count)) title += ` - ${pythonStr(first.spike_count)}+ events`;
  return title;
}

const jqlString = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
const jqlStatus = (s: string) => (/[\s"]/.test(s) ? `"${jqlString(s)}"` : s);

/** The JQL that finds a recent ticket with this summary (ElastAlert 2's find_existing_ticket). */
export function jiraBumpQuery(
  o: {
    project: string;
    maxAgeDays: number;
    inStatuses?: readonly string[];
    notInStatuses?: readonly string[];
  },
  title: string,
  now = Date.now(),
): string {
  const summary = jqlString(title.replaceAll(' - ', ' '));
  const since = new Date(now - o.maxAgeDays * 86_400_000).toISOString().slice(0, 10);
  let jql = `project=${o.project} AND summary~"${summary}" and created >= "${since}"`;
  if (o.inStatuses?.length) jql += ` and status in (${o.inStatuses.map(jqlStatus).join(',')})`;
  if (o.notInStatuses?.length) jql += ` and status not in (${o.notInStatuses.map(jqlStatus).join(',')})`;
  return jql;
}
