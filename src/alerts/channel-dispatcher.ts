/**
 * One queue per alert channel (a DingTalk robot, a WeCom robot, a mailbox...), shared by every
 * rule that sends there. Alerts leave in order, one at a time:
 *
 * - Rate limits: a channel with ratePerMinute (DingTalk and WeCom robots: 20) never sends more
 *   than that within any 60 s. When more alerts are waiting than the remaining budget allows,
 *   they are folded into digest messages (each within the channel's size limit) instead of
 *   being dropped or sent late one by one; alerts about pods of one workload can fold into one
 *   entry (k8s_digest_by_workload).
 * - Retries: a retryable failure (429/5xx, timeouts, DingTalk 130101, WeCom 45009) keeps the
 *   alert at the head of the queue and waits with exponential backoff (or the channel's
 *   retry-after); after the last attempt, or at once for a permanent failure, the alert is
 *   reported failed (it stays unsent in the writeback index for the pending-alert loop).
 */
import type { Logger } from 'pino';
import type { AlertContent, Alerter, SendOutcome } from '../alerters/alerter.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import { truncateUtf8, utf8Bytes } from '../alerters/text-limits.ts';
import { redactText } from '../util/redact.ts';
import { type DigestEntry, foldByWorkload, workloadKey } from '../k8s/workload-digest.ts';

export interface RetryPolicy {
  /** Attempts before an alert is given back as failed. */
  attempts: number;
  baseDelayMs: number;
  /** Longest wait between attempts; a longer retry-after from the channel is cut to this. */
  maxDelayMs: number;
}

export interface Delivery {
  alerter: Alerter;
  content: AlertContent;
  /** Called once, when the alert got through or was given up. */
  done(outcome: SendOutcome): void;
  /** False once this instance may no longer send it (replicas: the rule's lease went elsewhere). */
  mayStillSend?(): boolean;
}

export interface DispatcherDeps {
  /**
   * Milliseconds on a monotonic scale for rate accounting: how fast messages really leave, which
   * is real time even when the engine's clock is not (backfills, tests).
   */
  now(): number;
  logger: Logger;
  retry: RetryPolicy;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const DIGEST_SEPARATOR = '\n\n----------------------------------------\n\n';
/** Without a known limit, digests stay below this many UTF-8 bytes. */
const DEFAULT_DIGEST_BYTES = 4000;
/** Each alert in a digest keeps at least this many bytes of its text. */
const MIN_ENTRY_BYTES = 160;
/** A burst is over when no alert arrived for this long... */
const GATHER_QUIET_MS = 300;
/** ...or after this long at most. */
const GATHER_MAX_MS = 3000;

/** The text of one digest entry: an alert, or the alerts of one workload folded under their heading. */
function entryText(entry: DigestEntry<AlertContent>): string {
  const first = entry.alerts[0]!;
  const text = `${first.title}\n${first.body}`;
  if (!entry.heading) return text;
  const others = entry.otherPods?.length ? `\nOther pods: ${entry.otherPods.join(', ')}` : '';
  return `${entry.heading}\n\n${text.trimEnd()}${others}`;
}

/**
 * One digest message for several alerts, within `maxBytes`. Alerts of rules that set
 * k8s_digest_by_workload fold into one entry per workload and reason (src/k8s/workload-digest.ts).
 */
export function digestOf(group: AlertContent[], maxBytes: number): AlertContent {
  if (group.length === 1) return group[0]!;
  const rules = [...new Set(group.map((c) => c.ruleName))];
  const title = `${group.length} alerts: ${rules.join(', ')}`;
  const header = `${title} (digest: this channel takes a limited number of messages per minute)\n\n`;
  const entries = foldByWorkload(group);
  const budget = Math.floor(
    (maxBytes - utf8Bytes(header) - utf8Bytes(DIGEST_SEPARATOR) * entries.length) / entries.length,
  );
  const body =
    header +
    entries
      .map((e) => truncateUtf8(entryText(e), Math.max(MIN_ENTRY_BYTES, budget), '…'))
      .join(DIGEST_SEPARATOR);
  const first = group[0]!;
  return {
    ruleName: rules.length === 1 ? first.ruleName : 'esalert digest',
    options: first.options,
    matches: group.flatMap((c) => c.matches),
    title,
    body,
    matchTexts: group.flatMap((c) => c.matchTexts),
  };
}

/**
 * The batch taken from the head of `queue` grown over the alerts right after it that fold into
 * one of its workload entries: they cost no room in the digest.
 */
export function extendOverWorkloads(queue: readonly AlertContent[], size: number): number {
  const keys = new Set(queue.slice(0, size).map(workloadKey));
  keys.delete(undefined);
  let n = size;
  while (n < queue.length && keys.size > 0 && keys.has(workloadKey(queue[n]!))) n++;
  return n;
}

/**
 * How many of `waiting` alerts go into the next message when only `budget` messages remain this
 * minute: spread evenly over the budget, but never more than fit in `maxBytes` at
 * MIN_ENTRY_BYTES each (the rest waits for the next minute).
 */
export function nextDigestSize(waiting: number, budget: number, maxBytes: number): number {
  if (waiting <= budget) return 1;
  const fit = Math.max(1, Math.floor((maxBytes - 200) / (MIN_ENTRY_BYTES + utf8Bytes(DIGEST_SEPARATOR))));
  return Math.min(fit, Math.ceil(waiting / Math.max(1, budget)));
}

export class ChannelDispatcher {
  readonly channel: string;
  private readonly queue: Delivery[] = [];
  private readonly sent: number[] = [];
  private running = false;
  private readonly deps: DispatcherDeps;
  private readonly abort = new AbortController();
  private idle: Promise<void> = Promise.resolve();
  private resolveIdle: (() => void) | undefined;
  private lastEnqueue = 0;

  constructor(channel: string, deps: DispatcherDeps) {
    this.channel = channel;
    this.deps = deps;
  }

  get pending(): number {
    return this.queue.length;
  }

  enqueue(d: Delivery): void {
    this.lastEnqueue = this.deps.now();
    this.queue.push(d);
    if (!this.running) {
      this.running = true;
      this.idle = new Promise((r) => (this.resolveIdle = r));
      void this.drain();
    }
  }

  /** Resolves when the queue is empty (or the dispatcher was stopped). */
  whenIdle(): Promise<void> {
    return this.idle;
  }

  /** Stops sending; queued alerts are reported back as not delivered (they stay pending in the writeback). */
  stop(): void {
    this.abort.abort();
  }

  private budget(rate: number | undefined): number {
    if (!rate) return Infinity;
    const now = this.deps.now();
    while (this.sent.length > 0 && now - this.sent[0]! >= 60_000) this.sent.shift();
    return rate - this.sent.length;
  }

  private async drain(): Promise<void> {
    const { logger } = this.deps;
    const gatherStart = this.deps.now();
    try {
      while (this.queue.length > 0) {
        if (this.abort.signal.aborted) {
          for (const d of this.queue.splice(0))
            d.done({ ok: false, retryable: true, reason: 'shutting down before it could be sent' });
          break;
        }
        const gone = this.queue.filter((d) => d.mayStillSend?.() === false);
        if (gone.length) {
          for (const d of gone) this.queue.splice(this.queue.indexOf(d), 1);
          for (const d of gone)
            d.done({ ok: false, retryable: true, reason: 'the rule is run by another instance now' });
          continue;
        }
        const head = this.queue[0]!;
        const rate = head.alerter.ratePerMinute;
        // A rate-limited channel lets a burst gather first (a rule run queues its matches one by
        // one), so that it can be folded instead of spending the minute's budget on the first few.
        if (
          rate &&
          this.deps.now() - this.lastEnqueue < GATHER_QUIET_MS &&
          this.deps.now() - gatherStart < GATHER_MAX_MS
        ) {
          await this.deps.sleep(GATHER_QUIET_MS, this.abort.signal);
          continue;
        }
        const budget = this.budget(rate);
        if (budget <= 0) {
          const wait = 60_000 - (this.deps.now() - this.sent[0]!);
          logger.info(
            { channel: this.channel, queued: this.queue.length, waitMs: wait },
            'channel rate limit reached; waiting',
          );
          await this.deps.sleep(Math.max(1, wait), this.abort.signal);
          continue;
        }
        // When the waiting alerts do not fit this minute's remaining budget, fold them into digests.
        const limit = head.alerter.messageLimitBytes ?? DEFAULT_DIGEST_BYTES;
        const size = rate ? nextDigestSize(this.queue.length, budget, limit) : 1;
        const take =
          size > 1
            ? extendOverWorkloads(
                this.queue.map((d) => d.content),
                size,
              )
            : size;
        const batch = this.queue.slice(0, take);
        const content = digestOf(
          batch.map((d) => d.content),
          limit,
        );
        const outcome = await this.sendWithRetries(head.alerter, content);
        if (rate) this.sent.push(this.deps.now());
        this.queue.splice(0, batch.length);
        for (const d of batch) d.done(outcome);
      }
    } finally {
      this.running = false;
      this.resolveIdle?.();
    }
  }

  private async sendWithRetries(alerter: Alerter, content: AlertContent): Promise<SendOutcome> {
    const { retry, logger } = this.deps;
    let outcome: SendOutcome = { ok: false, retryable: false, reason: 'not sent' };
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      outcome = await alerter
        .send(content, this.abort.signal)
        .catch((err: unknown): SendOutcome => ({ ok: false, retryable: false, reason: errorMessage(err) }));
      if (outcome.ok || !outcome.retryable || this.abort.signal.aborted || attempt === retry.attempts)
        return outcome;
      const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      const wait = Math.min(retry.maxDelayMs, outcome.retryAfterMs ?? backoff);
      logger.warn(
        {
          channel: this.channel,
          rule: content.ruleName,
          attempt,
          reason: redactText(outcome.reason, alerter.secrets()),
        },
        `delivery failed; retrying in ${wait} ms`,
      );
      await this.deps.sleep(wait, this.abort.signal);
    }
    return outcome;
  }
}
