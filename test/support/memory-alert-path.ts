/** The alert path over the memory stores, its alerts recorded instead of sent. */
import type { AlertContent, Alerter } from '../../src/alerters/alerter.ts';
import { type AlertPipeline, createAlertPipeline, type PipelineDeps } from '../../src/alerts/pipeline.ts';
import { recordingAlerter } from '../../src/app/dry-run.ts';
import type { EngineDeps } from '../../src/engine/run-rule.ts';
import type { RuntimeRule } from '../../src/engine/runtime-rule.ts';
import type { Clock } from '../../src/model/clock.ts';
import type { SearchPort } from '../../src/query/search-port.ts';
import { createMemoryWriteback, type MemoryWriteback } from '../../src/state/memory-writeback.ts';
import { writebackStores } from '../../src/state/writeback.ts';
import { pino } from 'pino';

export interface MemoryAlertPath {
  store: MemoryWriteback;
  /** What the alerters were given, in order. */
  sent: AlertContent[];
  pipeline: AlertPipeline;
}

export function memoryAlertPath(
  clock: Clock,
  o: {
    store?: MemoryWriteback;
    alerters?: (rt: RuntimeRule) => Alerter[];
    deps?: Partial<PipelineDeps>;
  } = {},
): MemoryAlertPath {
  const store = o.store ?? createMemoryWriteback();
  const sent: AlertContent[] = [];
  const pipeline = createAlertPipeline({
    clock,
    logger: pino({ level: 'silent' }),
    stores: writebackStores(store),
    alertTimeLimitMs: 86_400_000,
    maxAggregation: 100,
    alerters: o.alerters ?? (() => [recordingAlerter(sent)]),
    ...o.deps,
  });
  return { store, sent, pipeline };
}

/** The engine's dependencies over a search port and a memory alert path, silent, with one-minute runs. */
export function memoryEngineDeps(clock: Clock, port: SearchPort, path: MemoryAlertPath): EngineDeps {
  return {
    clock,
    logger: pino({ level: 'silent' }),
    stores: writebackStores(path.store),
    sink: path.pipeline,
    search: () => port,
    globals: { runEveryMs: 60_000, oldQueryLimitMs: 7 * 86_400_000 },
  };
}
