/** Builds self_alert from config.yaml for the app: its alerters, and what its checks look at. */
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { type Alerter, OptionProblem } from '../alerters/alerter.ts';
import type { RuleCatalogs } from '../compile/compile-rule.ts';
import { problemsError } from '../config/fields.ts';
import type { GlobalConfig } from '../config/global-config.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { readSelfAlert } from '../config/self-alert-config.ts';
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
  /** Values the logs must never show (the alerters' secrets). */
  addSecrets(...values: string[]): void;
}

/** self_alert as configured, or undefined when config.yaml has none; bad settings fail with file:line. */
export function createSelfAlertFor(ctx: SelfAlertContext): SelfAlert | undefined {
  const file = ctx.config.file ?? 'config.yaml';
  const source = { file, locate: () => ({ file }) };
  const { settings, problems } = readSelfAlert(ctx.config.raw);
  if (problems.length > 0) throw problemsError('CONFIG_INVALID', source, problems);
  if (!settings) return undefined;
  const alerters: Alerter[] = [];
  settings.alerts.forEach((spec, i) => {
    const def = ctx.catalogs.alerters.get(spec.name);
    if (!def)
      throw problemsError('CONFIG_INVALID', source, [
        { path: ['self_alert', 'alert', i], message: `unknown alerter "${spec.name}"` },
      ]);
    try {
      alerters.push(
        def.create(
          { name: 'esalert', ...settings.options, ...spec.options },
          {
            logger: ctx.logger.child({ self_alert: spec.name }),
            ruleDir: ctx.config.file ? dirname(ctx.config.file) : process.cwd(),
            env: ctx.env,
          },
        ),
      );
    } catch (err) {
      if (!(err instanceof OptionProblem)) throw err;
      throw problemsError('CONFIG_INVALID', source, [
        { path: ['self_alert', err.option], message: `${err.message} (${spec.name} alerter)` },
      ]);
    }
  });
  for (const a of alerters) ctx.addSecrets(...a.secrets());
  return createSelfAlert({
    settings,
    clock: ctx.clock,
    logger: ctx.logger,
    alerters,
    retry: ctx.config.alertRetry,
    ...(ctx.esCheck ? { esCheck: ctx.esCheck } : {}),
    unsentBefore: async (beforeIso) => {
      const from = toIso(ctx.clock.now() - ctx.alertTimeLimitMs);
      return (await ctx.stores.alerts.pendingAlerts(from, beforeIso, 1)).length > 0;
    },
  });
}
