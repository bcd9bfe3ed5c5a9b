/**
 * Alerts from the writeback's alert log as the console shows them (GET /api/alerts): state,
 * query_key value, per-alerter delivery and each attempt, and the text the rule renders for the
 * match (with its aggregate's members). The log keeps matches, not texts, so the text is the
 * loaded rule's rendering: after an edit of alert_text it shows the new wording.
 */
import { alertContent } from '../../alerts/alert-content.ts';
import { queryKeyValue } from '../../alerts/suppress.ts';
import type { RuntimeRule } from '../../engine/runtime-rule.ts';
import { errorMessage } from '../../errors/esalert-error.ts';
import type { JinjaRenderer } from '../../format/alert-text.ts';
import type { AlertEntry, AlertsResponse } from '../../http/console/web/api-types.ts';
import type { AlertFilter } from '../../http/console/console-source.ts';
import type { Match } from '../../model/match.ts';
import { alertState, type HistoryReader } from '../../state/history.ts';
import type { StoredAlert } from '../../state/writeback.ts';

/** Alerts read at most to find those of one query_key value (match bodies are not searchable). */
export const QUERY_KEY_SCAN_LIMIT = 5000;
/** Members of an aggregate rendered into its text. */
const MEMBERS_RENDERED = 100;

export interface AlertEntryDeps {
  rules(): ReadonlyMap<string, RuntimeRule>;
  history: HistoryReader;
  renderJinja: JinjaRenderer;
}

function render(rt: RuntimeRule, matches: Match[], deps: AlertEntryDeps): { title: string; text: string } {
  try {
    const c = alertContent(rt, 0, matches, deps.renderJinja);
    return { title: c.title, text: c.body };
  } catch (err) {
    return { title: rt.rule.name, text: `(the alert text cannot be rendered: ${errorMessage(err)})` };
  }
}

export function queryKeyOf(a: StoredAlert, rules: ReadonlyMap<string, RuntimeRule>): string | null {
  const rt = rules.get(a.doc.rule_name);
  return rt ? (queryKeyValue(rt, a.doc.match_body as Match) ?? null) : null;
}

export async function alertEntry(
  a: StoredAlert,
  deps: AlertEntryDeps,
  signal: AbortSignal,
): Promise<AlertEntry> {
  const { id, doc } = a;
  const rules = deps.rules();
  const rt = rules.get(doc.rule_name);
  let members: Match[] = [];
  let aggregated = 0;
  if (rt && rt.rule.options.aggregation.kind !== 'none') {
    const m = await deps.history.alerts(
      { aggregateId: id, headsOnly: false, offset: 0, size: MEMBERS_RENDERED },
      signal,
    );
    aggregated = m.total;
    members = m.alerts.reverse().map((x) => x.doc.match_body as Match);
  }
  const content = rt ? render(rt, [doc.match_body as Match, ...members], deps) : undefined;
  const delivered = new Set(doc.esalert_delivered ?? []);
  const alerterKeys = rt ? rt.rule.alerters.map((x, i) => `${i}:${x.type}`) : [...delivered];
  return {
    id,
    rule: doc.rule_name,
    queryKey: queryKeyOf(a, rules),
    at: doc['@timestamp'],
    alertTime: doc.alert_time,
    matchTime: typeof doc.match_time === 'string' ? doc.match_time : null,
    state: alertState(doc),
    aggregated,
    title: content?.title ?? null,
    text: content?.text ?? null,
    match: doc.match_body,
    deliveries: alerterKeys.map((alerter) => ({
      alerter,
      // documents ElastAlert 2 wrote say only alert_sent
      delivered: delivered.has(alerter) || (doc.alert_sent && doc.esalert_delivered === undefined),
    })),
    attempts: doc.esalert_attempts ?? [],
    ...(doc.alert_exception ? { error: doc.alert_exception } : {}),
  };
}

/** The alerts of a filter; a query_key filter reads the newest alerts and keeps the matching ones. */
export async function listAlerts(
  f: AlertFilter,
  deps: AlertEntryDeps,
  signal: AbortSignal,
): Promise<AlertsResponse> {
  const base = {
    ...(f.rule !== undefined ? { rule: f.rule } : {}),
    ...(f.from !== undefined ? { from: f.from } : {}),
    ...(f.to !== undefined ? { to: f.to } : {}),
    ...(f.state !== undefined ? { state: f.state } : {}),
  };
  let page: StoredAlert[];
  let total: number;
  let scanned: number | undefined;
  let truncated = false;
  if (f.queryKey === undefined) {
    const r = await deps.history.alerts({ ...base, offset: f.offset, size: f.limit }, signal);
    page = r.alerts;
    total = r.total;
  } else {
    const found: StoredAlert[] = [];
    const rules = deps.rules();
    scanned = 0;
    for (;;) {
      const r = await deps.history.alerts({ ...base, offset: scanned, size: 500 }, signal);
      scanned += r.alerts.length;
      for (const a of r.alerts) if (queryKeyOf(a, rules) === f.queryKey) found.push(a);
      if (r.alerts.length < 500 || scanned >= r.total) break;
      if (scanned >= QUERY_KEY_SCAN_LIMIT) {
        truncated = true;
        break;
      }
    }
    total = found.length;
    page = found.slice(f.offset, f.offset + f.limit);
  }
  const alerts: AlertEntry[] = [];
  for (const a of page) alerts.push(await alertEntry(a, deps, signal));
  return { alerts, total, offset: f.offset, ...(scanned !== undefined ? { scanned } : {}), truncated };
}
