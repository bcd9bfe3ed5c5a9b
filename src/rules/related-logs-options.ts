/**
 * related_logs: the container logs attached to alerts about pod events, read from the rule's
 * mapping (or config.yaml, as a default for every rule):
 *
 *   related_logs:
 *     index: logstash-*          # required
 *     layout: fluentd            # or ecs (Filebeat): the field defaults below
 *     pod_field / container_field / namespace_field / message_field / timestamp_field
 *     lines: 20
 *     window: {minutes: 15}      # before the event
 *     reasons: [BackOff, ...]
 *     kibana_index_pattern_id / opensearch_index_pattern_id   # the logs' data view: Discover links
 */
import { z } from 'zod';
import { duration, type Problem, problemsFromZod } from '../config/fields.ts';
import type { Doc } from '../model/lookup.ts';
import {
  DEFAULT_RELATED_LOG_REASONS,
  LOG_LAYOUTS,
  type RelatedLogsSettings,
} from '../model/related-logs-settings.ts';

export const RELATED_LOGS_OPTION_NAMES = ['related_logs'] as const;

const field = (what: string) =>
  z.string({ error: `must be a field name (${what})` }).min(1, { error: 'must not be empty' });

const schema = z.object({
  related_logs: z
    .strictObject(
      {
        index: z
          .string({ error: 'must be the index pattern of the container logs, e.g. logstash-*' })
          .min(1, { error: 'must not be empty' }),
        layout: z
          .enum(['fluentd', 'ecs'], {
            error: 'must be fluentd (fluentd/fluent-bit kubernetes metadata) or ecs (Filebeat)',
          })
          .default('fluentd'),
        pod_field: field('the pod name').optional(),
        container_field: field('the container name').optional(),
        namespace_field: field('the namespace').optional(),
        message_field: field('the log line').optional(),
        timestamp_field: field('the time of the line').default('@timestamp'),
        lines: z
          .int({ error: 'must be a whole number of lines' })
          .min(1, { error: 'must be at least 1' })
          .max(200, { error: 'must be at most 200' })
          .default(20),
        window: duration.default(15 * 60_000),
        reasons: z.array(z.string().min(1), { error: 'must be a list of event reasons' }).optional(),
        kibana_index_pattern_id: z.string({ error: "must be the logs' data view id" }).min(1).optional(),
        opensearch_index_pattern_id: z
          .string({ error: "must be the logs' index pattern id" })
          .min(1)
          .optional(),
      },
      {
        error: (iss) =>
          iss.code === 'unrecognized_keys'
            ? `unknown key; use index, layout, pod_field, container_field, namespace_field, message_field, timestamp_field, lines, window, reasons, kibana_index_pattern_id, opensearch_index_pattern_id`
            : iss.code === 'invalid_type'
              ? 'must be a mapping with at least index: <the log index pattern>'
              : undefined,
      },
    )
    .optional(),
});

export interface RelatedLogsReading {
  settings: RelatedLogsSettings | undefined;
  problems: Problem[];
}

export function readRelatedLogsOptions(raw: Doc): RelatedLogsReading {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { settings: undefined, problems: problemsFromZod(parsed.error, raw) };
  const o = parsed.data.related_logs;
  if (!o) return { settings: undefined, problems: [] };
  if (o.window <= 0)
    return {
      settings: undefined,
      problems: [{ path: ['related_logs', 'window'], message: 'must be longer than 0, e.g. {minutes: 15}' }],
    };
  const layout = LOG_LAYOUTS[o.layout];
  return {
    settings: {
      index: o.index,
      podField: o.pod_field ?? layout.podField,
      containerField: o.container_field ?? layout.containerField,
      namespaceField: o.namespace_field ?? layout.namespaceField,
      messageField: o.message_field ?? layout.messageField,
      timestampField: o.timestamp_field,
      lines: o.lines,
      windowMs: o.window,
      reasons: o.reasons ?? DEFAULT_RELATED_LOG_REASONS,
      ...(o.kibana_index_pattern_id ? { kibanaIndexPatternId: o.kibana_index_pattern_id } : {}),
      ...(o.opensearch_index_pattern_id ? { opensearchIndexPatternId: o.opensearch_index_pattern_id } : {}),
    },
    problems: [],
  };
}
