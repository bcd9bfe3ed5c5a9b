/**
 * esalert alerting about itself (`self_alert:` in config.yaml): one message when it cannot do
 * its job, and one resolved message when it can again, for each condition:
 *
 *   es           Elasticsearch unreachable for es_unreachable_after
 *   rule:<name>  a rule failed rule_failures runs in a row
 *   alerter:<t>  an alerter refusing messages (a permanent error), or failing for alerter_failing_after
 *   outbox       alerts unsent for longer than outbox_age
 *   load:<file>  a rule file that does not load
 *
 * and, with `heartbeat`, a "still alive" message on that schedule for a dead man's switch. The
 * messages go straight to the section's alerters through a channel dispatcher (its retries and
 * rate limits), not through the alert path, which may be what is broken. Conditions are kept in
 * memory: a restart starts over, and says so with nothing.
 */
import type { Logger } from 'pino';
import type { AlertContent, Alerter, SendOutcome } from '../alerters/alerter.ts';
import { ChannelDispatcher, type RetryPolicy } from '../alerts/channel-dispatcher.ts';
import type { SelfAlertSettings } from '../config/self-alert-config.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { Clock, Timer } from '../model/clock.ts';
import type { Match } from '../model/match.ts';
import { abortableSleep } from '../util/abortable-sleep.ts';
import { timedeltaText, toIso } from '../util/time.ts';

export interface SelfAlertDeps {
  settings: SelfAlertSettings;
  clock: Clock;
  logger: Logger;
  alerters: Alerter[];
  /** The alerters of one condition's messages, when they differ from `alerters` (by condition id). */
  alertersFor?: (condition: string) => Alerter[];
  retry: RetryPolicy;
  /** Throws when Elasticsearch cannot be reached. */
  esCheck?: () => Promise<void>;
  /** Whether an alert recorded before `beforeIso` is still unsent. */
  unsentBefore?: (beforeIso: string) => Promise<boolean>;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface SelfAlert {
  ruleRun(rule: string, error: string | undefined): void;
  alerterOutcome(
    alerter: string,
    outcome: { ok: true } | { ok: false; retryable: boolean; reason: string },
  ): void;
  loadFailed(file: string, message: string): void;
  loadCleared(file: string): void;
  /** One round of the timed checks (Elasticsearch, outbox, alerters failing, heartbeat). */
  check(): Promise<void>;
  start(): void;
  /** Stops checking; waits (at most `timeoutMs`) for messages under way. */
  stop(timeoutMs: number): Promise<void>;
}

interface Condition {
  title: string;
  detail: string;
  since: number;
}

export function createSelfAlert(deps: SelfAlertDeps): SelfAlert {
  const { settings: s, clock, logger } = deps;
  const firing = new Map<string, Condition>();
  const failedRuns = new Map<string, number>();
  const alerterFailingSince = new Map<string, { since: number; reason: string }>();
  let esDownSince: number | undefined;
  let lastHeartbeat = clock.now();
  const sending = new Set<Promise<void>>();
  const dispatchers = new Map<string, ChannelDispatcher>();
  let timer: Timer | undefined;
  let stopped = false;

  const send = (match: Match, title: string, body: string) => {
    const condition = typeof match.condition === 'string' ? match.condition : '';
    for (const alerter of deps.alertersFor?.(condition) ?? deps.alerters) {
      let d = dispatchers.get(alerter.channel);
      if (!d)
        dispatchers.set(
          alerter.channel,
          (d = new ChannelDispatcher(alerter.channel, {
            now: () => performance.now(),
            logger,
            retry: deps.retry,
            sleep: deps.sleep ?? abortableSleep,
          })),
        );
      const content: AlertContent = {
        ruleName: 'esalert',
        // the title is the subject (email) or heading, as a rule's alert_subject is
        options: { ...s.options, alert_subject: title },
        matches: [match],
        title,
        body,
        matchTexts: [body],
      };
      const sent = new Promise<void>((resolve) =>
        d.enqueue({
          alerter,
          content,
          done: (outcome: SendOutcome) => {
            if (!outcome.ok)
              logger.error(
                { alerter: alerter.type, reason: outcome.reason },
                'self_alert: message not delivered',
              );
            resolve();
          },
        }),
      );
      sending.add(sent);
      void sent.finally(() => sending.delete(sent));
    }
  };

  const raise = (id: string, title: string, detail: string) => {
    if (firing.has(id)) return;
    const now = clock.now();
    firing.set(id, { title, detail, since: now });
    logger.warn({ condition: id, detail }, `self_alert: ${title}`);
    send(
      {
        '@timestamp': toIso(now),
        condition: id,
        message: title,
        detail,
        resolved: false,
        fired_at: toIso(now),
      },
      `[esalert] ${title}`,
      `esalert: ${title}\n\n${detail}\n\nSince ${toIso(now)}.\n`,
    );
  };

  const clear = (id: string) => {
    const c = firing.get(id);
    if (!c) return;
    firing.delete(id);
    const now = clock.now();
    const lasted = timedeltaText(now - c.since);
    logger.info({ condition: id }, `self_alert: resolved: ${c.title}`);
    send(
      {
        '@timestamp': toIso(now),
        condition: id,
        message: c.title,
        detail: c.detail,
        resolved: true,
        fired_at: toIso(c.since),
        resolved_at: toIso(now),
        duration: lasted,
        duration_seconds: Math.round((now - c.since) / 1000),
      },
      `[RESOLVED] [esalert] ${c.title}`,
      `[RESOLVED] esalert: ${c.title}\n\nFired at ${toIso(c.since)}, resolved at ${toIso(now)}, after ${lasted}.\n`,
    );
  };

  const check = async () => {
    const now = clock.now();
    if (deps.esCheck) {
      try {
        await deps.esCheck();
        esDownSince = undefined;
        clear('es');
      } catch (err) {
        esDownSince ??= now;
        if (now - esDownSince >= s.esUnreachableMs)
          raise(
            'es',
            'Elasticsearch is unreachable',
            `Elasticsearch has not answered since ${toIso(esDownSince)}: ${errorMessage(err)}. No rule can run until it does.`,
          );
      }
    }
    if (deps.unsentBefore && esDownSince === undefined) {
      try {
        if (await deps.unsentBefore(toIso(now - s.outboxAgeMs)))
          raise(
            'outbox',
            'alerts are waiting to be sent',
            `The alert log holds alerts not delivered for more than ${timedeltaText(s.outboxAgeMs)}.`,
          );
        else clear('outbox');
      } catch {
        // the writeback cannot be read: Elasticsearch being down is reported on its own
      }
    }
    for (const [alerter, f] of alerterFailingSince)
      if (now - f.since >= s.alerterFailingMs)
        raise(
          `alerter:${alerter}`,
          `the ${alerter} alerter is failing`,
          `Alerts to ${alerter} have failed since ${toIso(f.since)}: ${f.reason}`,
        );
    if (s.heartbeatMs !== undefined && now - lastHeartbeat >= s.heartbeatMs) {
      lastHeartbeat = now;
      send(
        {
          '@timestamp': toIso(now),
          condition: 'heartbeat',
          message: 'esalert is running',
          firing: [...firing.keys()],
        },
        '[esalert] heartbeat',
        `esalert is running (${firing.size} problem${firing.size === 1 ? '' : 's'} open).\n`,
      );
    }
  };

  return {
    ruleRun(rule, error) {
      if (error === undefined) {
        failedRuns.delete(rule);
        clear(`rule:${rule}`);
        return;
      }
      const n = (failedRuns.get(rule) ?? 0) + 1;
      failedRuns.set(rule, n);
      if (n >= s.ruleFailures)
        raise(
          `rule:${rule}`,
          s.ruleFailures === 1 ? `rule ${rule} failed` : `rule ${rule} keeps failing`,
          n === 1
            ? `A run of rule ${rule} failed: ${error}`
            : `The last ${n} runs of rule ${rule} failed: ${error}`,
        );
    },
    alerterOutcome(alerter, outcome) {
      if (outcome.ok) {
        alerterFailingSince.delete(alerter);
        clear(`alerter:${alerter}`);
        return;
      }
      if (!alerterFailingSince.has(alerter))
        alerterFailingSince.set(alerter, { since: clock.now(), reason: outcome.reason });
      if (!outcome.retryable)
        raise(
          `alerter:${alerter}`,
          `the ${alerter} alerter refuses alerts`,
          `${alerter} refused an alert: ${outcome.reason}`,
        );
    },
    loadFailed(file, message) {
      if (s.ruleLoadErrors) raise(`load:${file}`, `rule file ${file} does not load`, message);
    },
    loadCleared(file) {
      clear(`load:${file}`);
    },
    check,
    start() {
      const tick = () => {
        timer = clock.setTimer(() => {
          void check()
            .catch((err: unknown) => logger.error({ err: errorMessage(err) }, 'self_alert: check failed'))
            .finally(() => {
              if (!stopped) tick();
            });
        }, s.checkEveryMs);
      };
      tick();
    },
    async stop(timeoutMs) {
      stopped = true;
      timer?.cancel();
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...sending]),
        new Promise<void>((resolve) => (t = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(t);
      for (const d of dispatchers.values()) d.stop();
    },
  };
}
