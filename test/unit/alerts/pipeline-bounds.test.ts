/**
 * The alert pipeline's record of alerts sent while the writeback index could not take them: a
 * document Elasticsearch refuses for good is skipped (logged), not retried forever in front of
 * the others, and the queue keeps at most MAX_UNRECORDED.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createAlertPipeline } from '../../../src/alerts/pipeline.ts';
import { catalogs } from '../../../src/app/catalogs.ts';
import { createRuntimeRule } from '../../../src/engine/runtime-rule.ts';
import { EsalertError } from '../../../src/errors/esalert-error.ts';
import { FakeClock } from '../../../src/model/clock.ts';
import { loadRuleFile } from '../../../src/rules/load-rule.ts';
import { createMemoryWriteback } from '../../../src/state/memory-writeback.ts';
import type { AlertDoc } from '../../../src/state/writeback.ts';
import { testConfig } from '../../support/config.ts';

describe('alerts the writeback could not record', () => {
  it('a document refused for good is skipped with an error; the next ones are recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-unrecorded-'));
    const file = join(dir, 'r.yaml');
    writeFileSync(file, 'name: r\ntype: any\nindex: i\nalert: [debug]\n');
    const logger = pino({ level: 'silent' });
    const rule = loadRuleFile(file, {
      global: testConfig({ rules_folder: dir }),
      env: () => undefined,
      catalogs: catalogs(),
      logger,
    });
    const rt = createRuntimeRule(rule);
    const lines: string[] = [];
    const memory = createMemoryWriteback();
    let down = true;
    const writeback = {
      ...memory,
      async createAlert(id: string, doc: AlertDoc) {
        if (down) throw new EsalertError('WRITEBACK_FAILED', 'unreachable', { retryable: true });
        if (doc.match_body.bad)
          throw new EsalertError('WRITEBACK_FAILED', 'HTTP 400: mapper_parsing_exception', {
            retryable: false,
          });
        return memory.createAlert(id, doc);
      },
    };
    const pipeline = createAlertPipeline({
      clock: new FakeClock('2024-05-14T00:00:00Z'),
      logger: pino({ level: 'error' }, { write: (l: string) => void lines.push(l) }),
      writeback,
      alertTimeLimitMs: 86_400_000,
      maxAggregation: 100,
    });
    for (const m of [{ n: 1, bad: true }, { n: 2 }, { n: 3 }])
      expect(await pipeline.accept(rt, { '@timestamp': '2024-05-14T00:00:00Z', ...m }, {})).toEqual({
        outcome: 'alerted',
      });
    await pipeline.drain(1000);
    down = false;
    await pipeline.flushDue(new Map([['r', rt]]));
    expect([...memory.alerts.values()].map((d) => d.match_body.n).sort()).toEqual([2, 3]);
    expect(
      lines.some((l) => l.includes('refuses this alert document') && l.includes('mapper_parsing_exception')),
    ).toBe(true);
  });
});
