/** Builds self_alert from config.yaml for the app: its alerters, and what its checks look at. */
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { type Alerter, OptionProblem } from '../alerters/alerter.ts';
import type { RuleCatalogs } from '../compile/compile-rule.ts';
import { problemsError } from '../config/fields.ts';
import type { GlobalConfig } from '../config/global-config.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { readErrorNotices, type ErrorNoticeSettings } from '../config/error-notices-config.ts';
import { readSelfAlert, type SelfAlertSettings } from '../config/self-alert-config.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { Clock } from '../model/clock.ts';
import type { Stores } from '../state/writeback.ts';
import { toIso } from '../util/time.ts';
import { createSelfAlert, type SelfAlert } from './self-alert.ts';

export interface SelfAlertContext {
  config: GlobalConfig;
  catalogs: RuleCatalogs;
  env: EnvLookup;
  clock: Clock;
  logger: Logger;
  stores: Pick<Stores, 'alerts'>;
  alertTimeLimitMs: number;
  esCheck: (() => Promise<void>) | undefined;
  /** A rule's own notify_email addresses (added to config.yaml's for that rule's failures). */
  ruleNotifyEmail?: (rule: string) => string[] | undefined;
  /** Values the logs must never show (the alerters' secrets). */
  addSecrets(...values: string[]): void;
}

/**
 * What config.yaml asks esalert to report about itself: the `self_alert:` section, and ElastAlert
 * 2's error notices (`notify_alert`, `notify_email`, `notify_all_errors`), or undefined when it
 * asks for neither. Bad settings fail with file:line.
 */
export function createSelfAlertFor(ctx: SelfAlertContext): SelfAlert | undefined {
  const file = ctx.config.file ?? 'config.yaml';
  const source = { file, locate: () => ({ file }) };
  const { settings, problems } = readSelfAlert(ctx.config.raw);
  if (problems.length > 0) throw problemsError('CONFIG_INVALID', source, problems);
  const notices = readErrorNotices(ctx.config.raw);
  if (notices.problems.length > 0) throw problemsError('CONFIG_INVALID', source, notices.problems);
  const parts: SelfAlert[] = [];
  if (settings) {
    const alerters = settings.alerts.map((spec, i) =>
      buildAlerter(ctx, source, ['self_alert', 'alert', i], spec.name, {
        name: 'esalert',
        ...settings.options,
        ...spec.options,
      }),
    );
    parts.push(selfAlertWith(ctx, settings, alerters));
  }
  if (notices.settings) parts.push(errorNoticesFor(ctx, source, notices.settings));
  if (parts.length <= 1) return parts[0];
  return combined(parts);
}

type Source = Parameters<typeof problemsError>[1];

function buildAlerter(
  ctx: SelfAlertContext,
  source: Source,
  path: (string | number)[],
  type: string,
  options: Record<string, unknown>,
): Alerter {
  const def = ctx.catalogs.alerters.get(type);
  if (!def) throw problemsError('CONFIG_INVALID', source, [{ path, message: `unknown alerter "${type}"` }]);
  try {
    const alerter = def.create(options, {
      logger: ctx.logger.child({ self_alert: type }),
      ruleDir: ctx.config.file ? dirname(ctx.config.file) : process.cwd(),
      env: ctx.env,
    });
    ctx.addSecrets(...alerter.secrets());
    return alerter;
  } catch (err) {
    if (!(err instanceof OptionProblem)) throw err;
    throw problemsError('CONFIG_INVALID', source, [
      { path: [path[0] ?? type, err.option], message: `${err.message} (${type} alerter)` },
    ]);
  }
}

function selfAlertWith(
  ctx: SelfAlertContext,
  settings: SelfAlertSettings,
  alerters: Alerter[],
  alertersFor?: (condition: string) => Alerter[],
): SelfAlert {
  return createSelfAlert({
    settings,
    clock: ctx.clock,
    logger: ctx.logger,
    alerters,
    ...(alertersFor ? { alertersFor } : {}),
    retry: ctx.config.alertRetry,
    ...(ctx.esCheck ? { esCheck: ctx.esCheck } : {}),
    unsentBefore: async (beforeIso) => {
      const from = toIso(ctx.clock.now() - ctx.alertTimeLimitMs);
      return (await ctx.stores.alerts.pendingAlerts(from, beforeIso, 1)).length > 0;
    },
  });
}

/**
 * ElastAlert 2's error notices as self_alert conditions: a rule run that fails and a rule file
 * that does not load are reported at once (one message, then a resolved message when the rule
 * runs or the file loads again); with notify_all_errors also Elasticsearch unreachable, an
 * alerter failing and alerts left unsent. `notify_email` goes out by SMTP as ElastAlert 2 sends
 * it (smtp_host, default localhost; from_addr, default ElastAlert; email_reply_to), to its
 * addresses and, for a rule's own failures, the rule's notify_email too.
 */
function errorNoticesFor(ctx: SelfAlertContext, source: Source, n: ErrorNoticeSettings): SelfAlert {
  const raw = ctx.config.raw;
  const base = { ...raw, name: 'esalert error notice' };
  const alerters = n.alerts.map((spec, i) =>
    buildAlerter(ctx, source, ['notify_alert', i], spec.name, { ...base, ...spec.options }),
  );
  const emailTo = (to: string[]) =>
    buildAlerter(ctx, source, ['notify_email'], 'email', {
      ...base,
      email: to,
      smtp_host: typeof raw.smtp_host === 'string' ? raw.smtp_host : 'localhost',
      from_addr: typeof raw.from_addr === 'string' ? raw.from_addr : 'ElastAlert',
    });
  const mail = n.email.length > 0 ? emailTo(n.email) : undefined;
  const perRecipients = new Map<string, Alerter>();
  const alertersFor = (condition: string): Alerter[] => {
    if (!mail) return alerters;
    const own = condition.startsWith('rule:') ? ctx.ruleNotifyEmail?.(condition.slice(5)) : undefined;
    const to = [...new Set([...n.email, ...(own ?? [])])];
    if (to.length === n.email.length) return [...alerters, mail];
    const key = to.join(',');
    let a = perRecipients.get(key);
    if (!a) {
      try {
        perRecipients.set(key, (a = emailTo(to)));
      } catch (err) {
        ctx.logger.error({ err: errorMessage(err) }, 'notify_email of the rule cannot be used');
        return [...alerters, mail];
      }
    }
    return [...alerters, a];
  };
  const never = Number.MAX_SAFE_INTEGER;
  const settings: SelfAlertSettings = {
    alerts: [],
    options: base,
    esUnreachableMs: n.allErrors ? 60_000 : never,
    ruleFailures: 1,
    alerterFailingMs: n.allErrors ? 10 * 60_000 : never,
    outboxAgeMs: n.allErrors ? 30 * 60_000 : never,
    ruleLoadErrors: true,
    heartbeatMs: undefined,
    checkEveryMs: 30_000,
  };
  const notices = selfAlertWith(ctx, settings, mail ? [...alerters, mail] : alerters, alertersFor);
  // without notify_all_errors nothing is checked on a timer
  return n.allErrors ? notices : { ...notices, start: () => {}, check: async () => {} };
}

function combined(parts: SelfAlert[]): SelfAlert {
  return {
    ruleRun: (rule, error) => parts.forEach((p) => p.ruleRun(rule, error)),
    alerterOutcome: (alerter, outcome) => parts.forEach((p) => p.alerterOutcome(alerter, outcome)),
    loadFailed: (file, message) => parts.forEach((p) => p.loadFailed(file, message)),
    loadCleared: (file) => parts.forEach((p) => p.loadCleared(file)),
    check: async () => {
      await Promise.all(parts.map((p) => p.check()));
    },
    start: () => parts.forEach((p) => p.start()),
    stop: async (timeoutMs) => {
      await Promise.all(parts.map((p) => p.stop(timeoutMs)));
    },
  };
}
