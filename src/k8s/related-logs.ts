/**
 * related_logs: the involved container's last log lines, for alerts about pod events (BackOff,
 * OOMKilled, probe failures, Failed). Which pod and container an eventrouter document is about,
 * the search for its lines in the log index, and the text the match carries.
 */
import type { Doc } from '../model/lookup.ts';
import { lookupField } from '../model/lookup.ts';
import type { RelatedLogsSettings } from '../model/related-logs-settings.ts';
import type { EsQuery } from '../query/filters.ts';
import type { SearchPort, SearchRequest } from '../query/search-port.ts';
import { parseTimestamp, timedeltaText } from '../util/time.ts';
import { eventOf, eventTime, involvedObjectOf } from './event-view.ts';

export interface LogTarget {
  namespace: string;
  pod: string;
  /** From the event's fieldPath (spec.containers{api}); undefined: every container of the pod. */
  container: string | undefined;
  reason: string;
  /** When the event happened (ms): the lines are read up to it. */
  atMs: number;
}

/** Longest log line kept (characters); the rest is cut with an ellipsis. */
const MAX_LINE = 1000;

const CONTAINER_PATH = /^spec\.(?:initContainers|ephemeralContainers|containers)\{([^}]{1,253})\}$/;

/** The pod and container an eventrouter document is about, when its reason is one that gets logs. */
export function logTargetOf(
  doc: Doc,
  settings: RelatedLogsSettings,
  fallbackMs: number,
): LogTarget | undefined {
  const event = eventOf(doc);
  const obj = involvedObjectOf(doc);
  if (!event || obj?.kind !== 'Pod' || !obj.name || !obj.namespace) return undefined;
  const reason = typeof event.reason === 'string' ? event.reason : '';
  if (!settings.reasons.includes(reason)) return undefined;
  const fieldPath = lookupField(event, 'involvedObject.fieldPath');
  const container = typeof fieldPath === 'string' ? CONTAINER_PATH.exec(fieldPath)?.[1] : undefined;
  return {
    namespace: obj.namespace,
    pod: obj.name,
    container,
    reason,
    atMs: parseTimestamp(eventTime(doc)) ?? fallbackMs,
  };
}

/** An exact value on a field mapped as keyword, or as text with a .keyword sub-field. */
function exact(field: string, value: string): EsQuery {
  return {
    bool: {
      should: [{ term: { [field]: value } }, { term: { [`${field}.keyword`]: value } }],
      minimum_should_match: 1,
    },
  };
}

/** The newest `lines` lines of the target's container in the window before the event. */
export function relatedLogsRequest(settings: RelatedLogsSettings, target: LogTarget): SearchRequest {
  const filter: EsQuery[] = [
    exact(settings.namespaceField, target.namespace),
    exact(settings.podField, target.pod),
    {
      range: {
        [settings.timestampField]: {
          // with milliseconds written out: Elasticsearch rounds `lte` of a time without them up to .999
          gte: new Date(target.atMs - settings.windowMs).toISOString(),
          lte: new Date(target.atMs).toISOString(),
          format: 'strict_date_optional_time',
        },
      },
    },
  ];
  if (target.container) filter.push(exact(settings.containerField, target.container));
  return {
    index: settings.index,
    query: { bool: { filter } },
    size: settings.lines,
    sort: [{ [settings.timestampField]: { order: 'desc' } }],
    sourceIncludes: [settings.messageField, settings.timestampField],
  };
}

/** One log line as shown: control characters out, cut to MAX_LINE characters. */
export function logLine(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\r?\n$/, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');
  return clean.length > MAX_LINE ? `${clean.slice(0, MAX_LINE)}…` : clean;
}

/** Where the lines come from, as the alert shows it: "prod/api-7d9f-x2b4q, container api". */
export function targetText(target: LogTarget): string {
  return `${target.namespace}/${target.pod}${target.container ? `, container ${target.container}` : ''}`;
}

/**
 * The fields the match gets: related_logs (the lines, oldest first, or one line saying none
 * were found) and related_logs_source.
 */
export async function fetchRelatedLogs(
  port: SearchPort,
  settings: RelatedLogsSettings,
  target: LogTarget,
  signal?: AbortSignal,
): Promise<Doc> {
  const res = await port.search(relatedLogsRequest(settings, target), signal);
  const lines = res.hits.map((h) => logLine(lookupField(h._source ?? {}, settings.messageField))).reverse();
  const source = targetText(target);
  return {
    related_logs:
      lines.length > 0
        ? lines.join('\n')
        : `No log lines found for ${source} in the ${timedeltaText(settings.windowMs)} before the event (${settings.index}).`,
    related_logs_source: source,
    related_logs_count: lines.length,
  };
}
