/**
 * The contract of an alert channel. An alerter formats nothing and retries nothing: it sends one
 * prepared alert and says whether it got through, and if not, whether trying again could help.
 * Retries, backoff, rate limits and the record of what was sent live in the pipeline.
 */
import type { Logger } from 'pino';
import type { EnvLookup } from '../config/interpolate.ts';
import type { Match } from '../model/match.ts';
import type { Doc } from '../model/lookup.ts';

export type SendOutcome =
  | { ok: true }
  | {
      ok: false;
      /** 429/5xx, timeouts, DingTalk 130101/-1, WeCom 45009/-1: worth retrying later. */
      retryable: boolean;
      /** When the channel said how long to wait. */
      retryAfterMs?: number;
      /** What went wrong and, for permanent failures, what to fix. Never contains secrets. */
      reason: string;
    };

export interface AlertContent {
  ruleName: string;
  /** The rule options with this alerter's inline options layered on top. */
  options: Doc;
  matches: Match[];
  title: string;
  /** The whole body (summary table and every match's text). */
  body: string;
  /** Each match's text on its own (ElastAlert 2's BasicMatchString). */
  matchTexts: string[];
}

export interface Alerter {
  /** The channel type, e.g. "dingtalk". */
  readonly type: string;
  /**
   * Identifies the destination (one robot, one mailbox...) without revealing secrets: alerts to
   * the same channel share its rate limit and are folded into digests together.
   */
  readonly channel: string;
  /** What the writeback index records as alert_info (no secrets). */
  info(): Doc;
  /** Values that must never appear in logs, errors or writeback documents. */
  secrets(): string[];
  send(content: AlertContent, signal: AbortSignal): Promise<SendOutcome>;
  /** Messages per minute the channel accepts (robots: 20); alerts beyond it are folded into digests. */
  readonly ratePerMinute?: number;
  /** Largest message the channel accepts, in UTF-8 bytes (digests are built to fit). */
  readonly messageLimitBytes?: number;
}

export interface AlerterDeps {
  logger: Logger;
  /** Directory of the rule file, for relative paths (smtp_auth_file). */
  ruleDir: string;
  /** The rule file itself (ElastAlert 2's rule_file, which some payloads carry). */
  ruleFile?: string;
  /** The environment (AWS_* credentials and regions, ES_* for the indexer), as config/ reads it. */
  env?: EnvLookup;
}

export interface AlerterDefinition {
  name: string;
  /** Other names rules use for it (ElastAlert 2 module paths, e.g. the seed's DingTalk plugin). */
  aliases?: string[];
  summary: string;
  optionNames: readonly string[];
  /** Prefixes of further options it reads (Jira's arbitrary `jira_<field>` options). */
  optionPrefixes?: readonly string[];
  /** Builds the alerter from the rule's options; throws a RULE_INVALID error naming the option to fix. */
  create(options: Doc, deps: AlerterDeps): Alerter;
}

/** A problem with one alerter option; the rule loader turns it into file:line: option message. */
export class OptionProblem extends Error {
  readonly option: string;
  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}
