/**
 * The alerter of a rule whose alerter options are given but cannot work (an empty webhook, a
 * placeholder where a URL or an id belongs). ElastAlert 2 checks only that required options are
 * present when it loads a rule and fails when it sends; esalert loads such a rule too, warns at
 * the option's line, and reports every alert to this channel as a permanent failure that says
 * what to fix. The rule keeps running, and its other alerters keep sending.
 */
import type { Alerter, SendOutcome } from './alerter.ts';

export function misconfiguredAlerter(type: string, problem: string): Alerter {
  const outcome: SendOutcome = { ok: false, retryable: false, reason: `not sent: ${problem}` };
  return {
    type,
    channel: `${type} (misconfigured)`,
    info: () => ({ type, misconfigured: problem }),
    secrets: () => [],
    send: () => Promise.resolve(outcome),
  };
}
