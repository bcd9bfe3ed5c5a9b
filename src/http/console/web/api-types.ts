/**
 * The JSON of the console's API (/api/...), shared by the server and the browser code: what
 * docs/api.md documents. Times are ISO 8601 strings in UTC; durations are milliseconds.
 */

/** GET /api/session: what the caller may do, and the console's settings. */
export interface SessionInfo {
  /** Who the credentials sent belong to; null for an anonymous visitor. */
  user: string | null;
  read: boolean;
  write: boolean;
  /** Whether http_auth is configured (otherwise nobody can write). */
  authConfigured: boolean;
  /** Why nothing can be written even with write access (--debug), if so. */
  readOnlyReason?: string;
  /** console.timezone from config.yaml; null: the browser's. */
  timezone: string | null;
  k8sIndex: string;
}

export interface LastRun {
  startedAt: string;
  durationMs: number;
  window: { start: string; end: string };
  queriedTo?: string;
  hits: number;
  matches: number;
  alerted: number;
  suppressed: number;
  error?: string;
}

/** A silence in force on a rule, as the rules list shows it. */
export interface SilenceBrief {
  id: string;
  key: string;
  until: string;
  /** The query_key value it holds back; absent: the whole rule. */
  queryKey?: string;
  kind: SilenceKind;
}

/** manual: set by a person (console, `esalert silence`); realert: set by the rule's realert after an alert. */
export type SilenceKind = 'manual' | 'realert';

export interface RuleRow {
  name: string;
  file: string;
  type: string;
  index: string;
  /** "every 1m", or the limit_execution cron. */
  schedule: string;
  /** The instance (replicas member id) that runs the rule when replicas share the rules; null: this one (no replicas). */
  owner: string | null;
  /** Replicas: the rule's lease as this instance knows it (docs/replicas.md). */
  lease?: { ownedHere: boolean; epoch: number | null; ageSeconds: number | null; handovers: number };
  loadedAt: string;
  /** The file's last edit failed to load: this version keeps running. */
  reloadError?: string;
  lastRun?: LastRun;
  nextRun?: string;
  lastAlert?: { at: string; alerter: string; ok: boolean; reason?: string };
  runs: number;
  skippedRuns: number;
  silences: SilenceBrief[];
  warningCount: number;
}

export interface LoadError {
  file: string;
  line?: number;
  error: string;
  at: string;
}

/** GET /api/rules */
export interface RulesResponse {
  rules: RuleRow[];
  loadErrors: LoadError[];
  generatedAt: string;
  /** Replicas sharing the rules, as this instance sees them. */
  replicas?: {
    self: string;
    member: boolean;
    members: { id: string; started: string; heartbeat: string; live: boolean; ruleCount: number }[];
  };
}

/** GET /api/rules/{name} */
export interface RuleDetail extends RuleRow {
  /** The rule file with secret values masked (lines kept). */
  yaml: string;
  /** Files the rule imports, after its own. */
  imports: string[];
  /** Load warnings, each with file:line. */
  warnings: string[];
  queryKey: string | null;
  realertMs: number;
  timeframeMs: number | null;
  alerters: string[];
  timestampField: string;
}

/** GET /api/rules/{name}/runs */
export interface RunEntry {
  startedAt: string;
  durationMs: number | null;
  window: { start: string; end: string };
  hits: number;
  matches: number;
  alerted: number | null;
  suppressed: number | null;
  error?: string;
  /** live: this process saw it; writeback: read from the status index (no alert counts, no errors). */
  source: 'live' | 'writeback';
}

export type AlertState = 'delivered' | 'pending' | 'failed';

export interface DeliveryAttempt {
  at: string;
  alerter: string;
  ok: boolean;
  error?: string;
  retryable?: boolean;
}

export interface AlertEntry {
  id: string;
  rule: string;
  queryKey: string | null;
  /** When it was recorded. */
  at: string;
  /** When it is (or was) due to be sent. */
  alertTime: string;
  matchTime: string | null;
  state: AlertState;
  /** Members folded into this aggregate's message, besides the head. */
  aggregated: number;
  title: string | null;
  /** The text as the rule renders it now (null when the rule is not loaded). */
  text: string | null;
  match: unknown;
  /** Each of the rule's alerters and whether it got the alert. */
  deliveries: { alerter: string; delivered: boolean }[];
  attempts: DeliveryAttempt[];
  error?: string;
}

/** GET /api/alerts */
export interface AlertsResponse {
  alerts: AlertEntry[];
  total: number;
  offset: number;
  /** With query_key: how many alerts were read to find these, and whether the scan stopped early. */
  scanned?: number;
  truncated: boolean;
}

export interface SilenceRow {
  id: string;
  key: string;
  rule: string | null;
  queryKey: string | null;
  until: string;
  at: string | null;
  author: string | null;
  reason: string | null;
  kind: SilenceKind;
  active: boolean;
}

/** GET /api/silences */
export interface SilencesResponse {
  silences: SilenceRow[];
}

/** POST /api/silences */
export interface SilenceRequest {
  rule: string;
  queryKey?: string;
  /** 4h, 30m, 1h30m, 2d, 1w */
  duration: string;
  reason: string;
}

export type MatchFate =
  | { outcome: 'alerted'; realertUntil?: string; realertKey?: string }
  | { outcome: 'aggregated'; alertTime: string }
  | { outcome: 'already-alerted' }
  | { outcome: 'silenced'; key: string; until: string }
  | { outcome: 'dropped'; reason: string };

/** POST /api/rules/{name}/explain */
export interface ExplainRequest {
  start: string;
  end: string;
}

export interface ExplainResponse {
  rule: string;
  window: { start: string; end: string };
  hits: number;
  duplicates: number;
  segments: {
    start: string;
    end: string;
    index: string;
    query: unknown;
    hits: number;
    duplicates: number;
    pages: number;
    truncated: boolean;
  }[];
  matchCount: number;
  /** The first EXPLAIN_MATCHES matches, in order. */
  matches: (MatchFate & { at: string | null; queryKey: string | null })[];
  /** What would have been sent (nothing is), the first EXPLAIN_ALERTS. */
  alerts: { title: string; text: string }[];
  alertCount: number;
  error?: string;
  tookMs: number;
}

export interface K8sWorkload {
  kind: string;
  name: string;
  events: number;
  warnings: number;
}

/** GET /api/k8s/workloads */
export interface K8sWorkloadsResponse {
  index: string;
  from: string;
  to: string;
  namespaces: { name: string; events: number; workloads: K8sWorkload[] }[];
}

export interface K8sEvent {
  at: string;
  type: string;
  reason: string;
  message: string;
  kind: string;
  name: string;
  count: number | null;
  source: string | null;
}

/** GET /api/k8s/timeline */
export interface K8sTimelineResponse {
  namespace: string;
  workload: string;
  from: string;
  to: string;
  events: K8sEvent[];
  /** More events matched than were returned. */
  truncated: boolean;
  alerts: AlertEntry[];
}

/** Every error answer. */
export interface ApiError {
  error: string;
  code: string;
}
