/**
 * What the console's API reads and changes, as a port: the HTTP layer knows these calls only,
 * and the composition root (app/console/) implements them over whatever runs (rules, stores,
 * scheduler). Results are the API's JSON shapes (web/api-types.ts); the server masks every
 * registered secret in them once more before they leave.
 */
import type {
  AlertState,
  AlertsResponse,
  ExplainResponse,
  K8sTimelineResponse,
  K8sWorkloadsResponse,
  RuleDetail,
  RulesResponse,
  RunEntry,
  SilenceRow,
  SilencesResponse,
} from './web/api-types.ts';

export interface AlertFilter {
  rule?: string;
  queryKey?: string;
  from?: string;
  to?: string;
  state?: AlertState;
  offset: number;
  limit: number;
}

export interface NewSilence {
  rule: string;
  queryKey?: string;
  /** As typed: 4h, 30m, 1h30m, 2d, 1w (or hours=4). */
  duration: string;
  reason: string;
  author: string;
}

export interface ConsoleSettings {
  /** console.timezone; undefined: the browser's. */
  timezone: string | undefined;
  k8sIndex: string;
  /** Why nothing can be written (--debug), if so. */
  readOnlyReason?: string;
}

/** A request the source cannot answer as asked: a 4xx for the caller, with a message saying what to fix. */
export class ConsoleRequestError extends Error {
  readonly status: 400 | 404 | 409 | 429 | 503;
  constructor(status: ConsoleRequestError['status'], message: string) {
    super(message);
    this.name = 'ConsoleRequestError';
    this.status = status;
  }
}

export interface ConsoleSource {
  settings(): ConsoleSettings;
  /** Values that must never leave (alerter tokens, passwords, http_auth credentials). */
  secrets(): readonly string[];
  rules(signal: AbortSignal): Promise<RulesResponse>;
  rule(name: string, signal: AbortSignal): Promise<RuleDetail | undefined>;
  runs(name: string, limit: number, signal: AbortSignal): Promise<RunEntry[] | undefined>;
  alerts(filter: AlertFilter, signal: AbortSignal): Promise<AlertsResponse>;
  silences(o: { all: boolean; rule?: string }, signal: AbortSignal): Promise<SilencesResponse>;
  setSilence(s: NewSilence, signal: AbortSignal): Promise<SilenceRow>;
  /** False when there is no such silence. */
  liftSilence(id: string, author: string, signal: AbortSignal): Promise<boolean>;
  /** A dry run of the rule over the window: nothing is sent or written. Undefined: no such rule. */
  explain(
    name: string,
    window: { start: number; end: number },
    signal: AbortSignal,
  ): Promise<ExplainResponse | undefined>;
  k8sWorkloads(
    q: { namespace?: string; from: number; to: number },
    signal: AbortSignal,
  ): Promise<K8sWorkloadsResponse>;
  k8sTimeline(
    q: { namespace: string; workload: string; from: number; to: number },
    signal: AbortSignal,
  ): Promise<K8sTimelineResponse>;
}
