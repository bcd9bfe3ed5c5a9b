/**
 * One rule run live on the scheduler over in-memory documents, the clock stepped by `minutes`: the
 * search requests it made, the alerts sent and the status documents written.
 */
import type { CompiledRule } from '../../src/compile/compiled-rule.ts';
import { createRuntimeRule } from '../../src/engine/runtime-rule.ts';
import { ManualClock } from '../../src/model/clock.ts';
import { createMemorySearchPort, type MemoryDocument } from '../../src/query/memory/memory-search-port.ts';
import type { SearchPort, SearchRequest } from '../../src/query/search-port.ts';
import { createRuleJob } from '../../src/scheduler/rule-job.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { memoryAlertPath, memoryEngineDeps } from './memory-alert-path.ts';

export async function runRuleLive(
  rule: CompiledRule,
  docs: MemoryDocument[],
  start: number,
  minutes: number,
) {
  const clock = new ManualClock(start);
  const memory = createMemorySearchPort(docs);
  const requests: SearchRequest[] = [];
  const port: SearchPort = {
    search: (req, signal) => {
      requests.push(req);
      return memory.search(req, signal);
    },
    count: (index, query, signal) => memory.count(index, query, signal),
  };
  const path = memoryAlertPath(clock);
  const rt = createRuntimeRule(rule);
  const scheduler = new Scheduler({ clock, maxConcurrent: 1, spreadMs: 0 });
  scheduler.add(createRuleJob(rt, { clock, engine: memoryEngineDeps(clock, port, path), endAt: undefined }));
  scheduler.start();
  await clock.advance(minutes * 60_000);
  await scheduler.stop(0);
  await path.pipeline.drain(1000);
  return { requests, sent: path.sent, statuses: path.store.statuses, rt };
}
