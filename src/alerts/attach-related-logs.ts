/**
 * Part of enrichment (enrich.ts): a match about a pod event gets the involved container's last
 * log lines (related_logs, read from Elasticsearch now, at alert time, before they are gone)
 * and, when the rule makes Discover links, links to Discover filtered to the pod and the time
 * window: its events (pod_discover_url / pod_opensearch_discover_url) and, with the logs' data
 * view, its log lines (related_logs_discover_url / related_logs_opensearch_discover_url).
 *
 * Failure policy: logs that cannot be read never stop the alert; the match says so in one line.
 */
import type { Logger } from 'pino';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import { discoverUrls } from '../engine/discover-url.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import { fetchRelatedLogs, type LogTarget, logTargetOf, targetText } from '../k8s/related-logs.ts';
import type { DiscoverSettings } from '../model/discover-settings.ts';
import type { Doc } from '../model/lookup.ts';
import type { Match } from '../model/match.ts';
import type { RelatedLogsSettings } from '../model/related-logs-settings.ts';
import type { SearchPort } from '../query/search-port.ts';

const POD_NAME = 'event.involvedObject.name';
const POD_NAMESPACE = 'event.involvedObject.namespace';
/** Discover shows this much after the event, so that what followed it is in view. */
const AFTER_EVENT_MS = 5 * 60_000;

/** Discover links filtered to the pod over the window before the event (and a little after). */
function podLinks(
  discover: DiscoverSettings,
  target: LogTarget,
  windowMs: number,
  fields: [pod: string, namespace: string, container?: string],
  indexPatterns: { kibana?: string | undefined; opensearch?: string | undefined },
  columns: string[] | undefined,
): { kibana?: string; opensearch?: string } {
  const [podField, namespaceField, containerField] = fields;
  const doc: Doc = { [podField]: target.pod, [namespaceField]: target.namespace };
  if (containerField && target.container) doc[containerField] = target.container;
  const settings: DiscoverSettings = {};
  const window = { fromMs: windowMs, toMs: AFTER_EVENT_MS };
  if (discover.kibana && indexPatterns.kibana)
    settings.kibana = {
      ...discover.kibana,
      ...window,
      indexPatternId: indexPatterns.kibana,
      ...(columns ? { columns } : {}),
    };
  if (discover.opensearch && indexPatterns.opensearch)
    settings.opensearch = {
      ...discover.opensearch,
      ...window,
      indexPatternId: indexPatterns.opensearch,
      ...(columns ? { columns } : {}),
    };
  const urls = discoverUrls(
    settings,
    { filters: [], queryKeys: Object.keys(doc), timeframeMs: windowMs, matchTime: target.atMs },
    doc,
  );
  return {
    ...(typeof urls.kibana_discover_url === 'string' ? { kibana: urls.kibana_discover_url } : {}),
    ...(typeof urls.opensearch_discover_url === 'string' ? { opensearch: urls.opensearch_discover_url } : {}),
  };
}

export async function attachRelatedLogs(
  rt: RuntimeRule,
  match: Match,
  run: { search: SearchPort; logger: Logger },
  matchTime: number | undefined,
): Promise<void> {
  const logs: RelatedLogsSettings | undefined = rt.rule.relatedLogs;
  if (!logs) return;
  const target = logTargetOf(match, logs, matchTime ?? Date.now());
  if (!target) return;
  try {
    Object.assign(match, await fetchRelatedLogs(run.search, logs, target));
  } catch (err) {
    run.logger.error(
      { rule: rt.rule.name, index: logs.index, err: errorMessage(err) },
      'related_logs: could not read the log lines',
    );
    match.related_logs = `The log lines of ${targetText(target)} could not be read (${logs.index}): ${errorMessage(err)}`;
    match.related_logs_source = targetText(target);
    match.related_logs_count = 0;
  }
  const discover = rt.rule.discover;
  if (!discover) return;
  const events = podLinks(
    discover,
    target,
    logs.windowMs,
    [POD_NAME, POD_NAMESPACE],
    { kibana: discover.kibana?.indexPatternId, opensearch: discover.opensearch?.indexPatternId },
    undefined,
  );
  if (events.kibana) match.pod_discover_url = events.kibana;
  if (events.opensearch) match.pod_opensearch_discover_url = events.opensearch;
  const lines = podLinks(
    discover,
    target,
    logs.windowMs,
    [logs.podField, logs.namespaceField, logs.containerField],
    { kibana: logs.kibanaIndexPatternId, opensearch: logs.opensearchIndexPatternId },
    [logs.messageField],
  );
  if (lines.kibana) match.related_logs_discover_url = lines.kibana;
  if (lines.opensearch) match.related_logs_opensearch_discover_url = lines.opensearch;
}
