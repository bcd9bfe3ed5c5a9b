/**
 * The record of alerts sent while the writeback index could not take them (record.ts): a
 * document Elasticsearch refuses for good is skipped (logged), not retried forever in front of
 * the others, and the queue keeps at most MAX_UNRECORDED.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRecord, MAX_UNRECORDED } from '../../../src/alerts/record.ts';
import { EsalertError } from '../../../src/errors/esalert-error.ts';
import { createMemoryWriteback } from '../../../src/state/memory-writeback.ts';
import type { AlertDoc } from '../../../src/state/writeback.ts';

function setup() {
  const lines: string[] = [];
  const memory = createMemoryWriteback();
  const state = { down: true };
  const alerts = {
    async createAlert(id: string, doc: AlertDoc) {
      if (state.down) throw new EsalertError('WRITEBACK_FAILED', 'unreachable', { retryable: true });
      if (doc.match_body.bad)
        throw new EsalertError('WRITEBACK_FAILED', 'HTTP 400: mapper_parsing_exception', {
          retryable: false,
        });
      return memory.createAlert(id, doc);
    },
  };
  const logger = pino({ level: 'error' }, { write: (l: string) => void lines.push(l) });
  return { lines, memory, state, record: createRecord({ alerts, logger }) };
}

const doc = (match: Record<string, unknown>): AlertDoc =>
  ({ rule_name: 'r', match_body: match, alert_sent: true, alert_time: '2024-05-14T00:00:00Z' }) as AlertDoc;

describe('alerts the writeback could not record', () => {
  it('a document refused for good is skipped with an error; the next ones are recorded', async () => {
    const { lines, memory, state, record } = setup();
    for (const [i, m] of [{ n: 1, bad: true }, { n: 2 }, { n: 3 }].entries())
      expect(await record.record('r', `id${i}`, doc(m))).toBe('unrecorded');
    state.down = false;
    await record.writeUnrecorded();
    expect([...memory.alerts.values()].map((d) => d.match_body.n).sort()).toEqual([2, 3]);
    expect(
      lines.some((l) => l.includes('refuses this alert document') && l.includes('mapper_parsing_exception')),
    ).toBe(true);
  });

  it('the writeback being unreachable keeps every document for the next flush', async () => {
    const { memory, record } = setup();
    await record.record('r', 'a', doc({ n: 1 }));
    await record.writeUnrecorded();
    expect(memory.alerts.size).toBe(0);
  });

  it(`keeps at most ${MAX_UNRECORDED} documents, dropping the oldest with an error`, async () => {
    const { lines, memory, state, record } = setup();
    for (let n = 0; n <= MAX_UNRECORDED; n++) await record.record('r', `id${n}`, doc({ n }));
    expect(lines.filter((l) => l.includes('the oldest record is dropped'))).toHaveLength(1);
    state.down = false;
    await record.writeUnrecorded();
    expect(memory.alerts.size).toBe(MAX_UNRECORDED);
    expect(memory.alerts.has('id0')).toBe(false);
    expect(memory.alerts.has(`id${MAX_UNRECORDED}`)).toBe(true);
  });
});
