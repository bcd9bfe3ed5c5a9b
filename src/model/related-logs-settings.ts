/** related_logs: where a pod's container logs are and how to read them, as a compiled rule holds it. */
export interface RelatedLogsSettings {
  /** Index pattern of the container logs (e.g. logstash-*, filebeat-*). */
  index: string;
  /** Fields identifying a log line's pod, container and namespace, its text and its time. */
  podField: string;
  containerField: string;
  namespaceField: string;
  messageField: string;
  timestampField: string;
  /** How many of the last lines to attach. */
  lines: number;
  /** How far before the event to look (ms). */
  windowMs: number;
  /** Event reasons that get logs attached (BackOff, OOMKilled, Unhealthy, Failed, ...). */
  reasons: string[];
  /**
   * The Kibana / OpenSearch Dashboards data view of the logs: with the rule's Discover settings
   * (generate_kibana_discover_url, ...), a link to the lines in Discover, filtered to the pod.
   */
  kibanaIndexPatternId?: string;
  opensearchIndexPatternId?: string;
}

/** The field layouts log shippers write for Kubernetes metadata. */
export const LOG_LAYOUTS = {
  /** fluentd / fluent-bit kubernetes metadata filter. */
  fluentd: {
    podField: 'kubernetes.pod_name',
    containerField: 'kubernetes.container_name',
    namespaceField: 'kubernetes.namespace_name',
    messageField: 'log',
  },
  /** Filebeat / Elastic Agent (ECS). */
  ecs: {
    podField: 'kubernetes.pod.name',
    containerField: 'kubernetes.container.name',
    namespaceField: 'kubernetes.namespace',
    messageField: 'message',
  },
} as const;

export type LogLayout = keyof typeof LOG_LAYOUTS;

export const DEFAULT_RELATED_LOG_REASONS = [
  'BackOff',
  'OOMKilled',
  'OOMKilling',
  'Unhealthy',
  'ProbeError',
  'Failed',
  'Killing',
];

/** The match field that carries the lines (and the one rendered as a code block). */
export const RELATED_LOGS_FIELD = 'related_logs';
