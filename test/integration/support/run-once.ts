/**
 * One run of one rule file against the test Elasticsearch, as the engine does it, with the
 * writeback kept in memory: for tests of what a run queries and hands on.
 */
import { pino } from 'pino';
import type { EsClient as Client } from '../../../src/query/es-client.ts';
import { createAlertPipeline } from '../../../src/alerts/pipeline.ts';
import { catalogs } from '../../../src/app/catalogs.ts';
import { FakeClock } from '../../../src/model/clock.ts';
import { type RunOptions, runRule } from '../../../src/engine/run-rule.ts';
import { createRuntimeRule } from '../../../src/engine/runtime-rule.ts';
import { createEsSearchPort } from '../../../src/query/es-search-port.ts';
import { loadRuleFile } from '../../../src/compile/compile-rule.ts';
import { createMemoryWriteback, type MemoryWriteback } from '../../../src/state/memory-writeback.ts';
import { writebackStores } from '../../../src/state/writeback.ts';
import { testConfig } from '../../support/config.ts';
import { esHostPort } from '../helpers.ts';
import type { Workspace } from './workspace.ts';
import type { RunReport } from '../../../src/engine/run-report.ts';

const silent = pino({ level: 'silent' });
const MINUTE = 60_000;

/** Runs `file` (in `ws`) once up to `end`, the clock a minute later; run_every 1 min, buffer_time 15 min. */
export async function runRuleOnce(
  client: Client,
  ws: Workspace,
  file: string,
  end: number,
  options: RunOptions,
): Promise<{ report: RunReport; writeback: MemoryWriteback }> {
  const global = testConfig(
    {
      ...esHostPort(),
      rules_folder: ws.rulesDir,
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      writeback_index: 'unused',
    },
    ws.config,
  );
  const rule = loadRuleFile(file, { global, env: () => undefined, catalogs: catalogs(), logger: silent });
  const clock = new FakeClock(end + MINUTE);
  const writeback = createMemoryWriteback();
  const port = createEsSearchPort(client);
  const sink = createAlertPipeline({
    clock,
    logger: silent,
    stores: writebackStores(writeback),
    alertTimeLimitMs: 86_400_000,
    maxAggregation: 10_000,
  });
  const report = await runRule(
    createRuntimeRule(rule),
    end,
    {
      clock,
      logger: silent,
      stores: writebackStores(writeback),
      sink,
      search: () => port,
      globals: { runEveryMs: MINUTE, oldQueryLimitMs: 7 * 86_400_000 },
    },
    options,
  );
  return { report, writeback };
}
