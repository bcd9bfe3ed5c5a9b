/**
 * One rule over one window with nothing sent and nothing written: the engine and alert pipeline
 * as `run` uses them, with a channel that records what would be sent and the writeback index in
 * memory. Aggregated alerts are released at the end, as if their time had come. Used by
 * test-rule, rule unit tests (`esalert test`) and the demo.
 */
import type { Logger } from 'pino';
import type { AlertContent, Alerter } from '../alerters/alerter.ts';
import { createJinjaRenderer } from '../format/jinja.ts';
import { createAlertPipeline } from '../alerts/pipeline.ts';
import type { GlobalConfig } from '../config/global-config.ts';
import { type RunOptions, runRule } from '../engine/run-rule.ts';
import { createRuntimeRule } from '../engine/runtime-rule.ts';
import type { SearchPort } from '../query/search-port.ts';
import type { CompiledRule } from '../compile/compiled-rule.ts';
import { createMemoryWriteback, type MemoryWriteback } from '../state/memory-writeback.ts';
import { type SilenceStore, type Stores, writebackStores } from '../state/writeback.ts';
import { parseTimestamp } from '../util/time.ts';
import type { Clock } from '../model/clock.ts';
import type { RunReport } from '../engine/run-report.ts';

/** Over past data (test-rule, --data) every pending alert is due, so the time limit is a century. */
export const PAST_DATA_LIMIT_MS = 100 * 365 * 86_400_000;

export interface DryRunOptions {
  config: GlobalConfig;
  clock: Clock;
  logger: Logger;
  /** Really send through the rule's alerters (test-rule --alert). */
  alert?: boolean;
  /** Read silences from here too (the live writeback index). */
  silences?: Pick<SilenceStore, 'silence'>;
  run?: Pick<RunOptions, 'recordQueries' | 'onProgress' | 'signal'>;
}

export interface DryRun {
  report: RunReport;
  /** What the rule's alerters would have been given, in order. */
  sent: AlertContent[];
  /** The writeback documents the run would have written. */
  store: MemoryWriteback;
}

/** A channel that records what it is given. */
export function recordingAlerter(sent: AlertContent[]): Alerter {
  return {
    type: 'dry-run',
    channel: 'dry-run',
    info: () => ({ type: 'dry-run' }),
    secrets: () => [],
    async send(content) {
      sent.push(content);
      return { ok: true };
    },
  };
}

export async function dryRun(
  rule: CompiledRule,
  port: SearchPort,
  window: { start: number; end: number },
  o: DryRunOptions,
): Promise<DryRun> {
  const store = createMemoryWriteback();
  const sent: AlertContent[] = [];
  const live = o.silences;
  const stores: Stores = {
    ...writebackStores(store),
    ...(live
      ? {
          silences: {
            ...store,
            silence: async (key: string) => (await store.silence(key)) ?? live.silence(key),
          },
        }
      : {}),
  };
  // Aggregates are released by moving this clock past their alert time.
  let shift = 0;
  const clock: Clock = { now: () => o.clock.now() + shift, setTimer: (fn, ms) => o.clock.setTimer(fn, ms) };
  const pipeline = createAlertPipeline({
    clock,
    logger: o.logger,
    stores,
    // what a live run would have sent when it was due, however long ago that is for past data
    alertTimeLimitMs: PAST_DATA_LIMIT_MS,
    maxAggregation: o.config.maxAggregation,
    renderJinja: createJinjaRenderer(),
    ...(o.alert ? {} : { alerters: () => [recordingAlerter(sent)] }),
    retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
  });
  const rt = createRuntimeRule(rule);
  const report = await runRule(
    rt,
    window.end,
    {
      clock,
      logger: o.logger,
      stores,
      sink: pipeline,
      search: () => port,
      globals: { runEveryMs: o.config.runEveryMs, oldQueryLimitMs: o.config.oldQueryLimitMs },
    },
    { ...o.run, start: window.start },
  );
  const due = [...store.alerts.values()]
    .filter((d) => !d.alert_sent && !d.aggregate_id)
    .map((d) => parseTimestamp(d.alert_time) ?? 0);
  if (due.length) {
    shift = Math.max(0, Math.max(...due) + 1 - o.clock.now());
    await pipeline.flushDue(new Map([[rule.name, rt]]));
  }
  await pipeline.drain(30_000);
  return { report, sent, store };
}
