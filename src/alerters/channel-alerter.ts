/**
 * The part every alerter shares once its options are read: network errors become retryable
 * outcomes, secrets are taken out of every reason (a receiver may echo a token back), and a
 * successful send is logged at debug level without the destination's secrets.
 */
import type { Logger } from 'pino';
import type { Doc } from '../model/lookup.ts';
import { redactDeep, redactText } from '../util/redact.ts';
import type { AlertContent, Alerter, SendOutcome } from './alerter.ts';
import { guarded } from './http.ts';

type Secrets = readonly (string | undefined)[];

export interface ChannelSpec {
  type: string;
  /** "Slack": names the service in the debug log. */
  service: string;
  /** The destination without its secrets (see Alerter.channel). */
  channel: string;
  /** What the writeback records as alert_info; a function when it changes (a target found later). */
  info: Doc | (() => Doc);
  /** The values to keep out of info, channel and reasons; a function when they change (tokens fetched later). */
  secrets: Secrets | (() => Secrets);
  logger: Logger;
  ratePerMinute?: number;
  messageLimitBytes?: number;
  send(content: AlertContent, signal: AbortSignal): Promise<SendOutcome>;
}

/** Values shorter than this are not treated as secrets (they would mask ordinary words). */
const MIN_SECRET = 4;

const secretList = (values: Secrets): string[] => [
  ...new Set(values.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET)),
];

export function channelAlerter(spec: ChannelSpec): Alerter {
  const secrets = () => secretList(typeof spec.secrets === 'function' ? spec.secrets() : spec.secrets);
  const known = secrets();
  const info = typeof spec.info === 'function' ? spec.info : () => spec.info as Doc;
  const channel = redactText(spec.channel, known);
  return {
    type: spec.type,
    channel,
    ...(spec.ratePerMinute !== undefined ? { ratePerMinute: spec.ratePerMinute } : {}),
    ...(spec.messageLimitBytes !== undefined ? { messageLimitBytes: spec.messageLimitBytes } : {}),
    info: () => redactDeep(info(), secrets()),
    secrets,
    async send(content, signal) {
      const outcome = await guarded(() => spec.send(content, signal));
      if (outcome.ok) {
        spec.logger.debug({ channel }, `sent to ${spec.service}`);
        return outcome;
      }
      return { ...outcome, reason: redactText(outcome.reason, secrets()) };
    },
  };
}
