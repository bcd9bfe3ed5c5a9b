/**
 * One shutdown deadline: stop() returns within --shutdown-timeout (drainMs) even when a custom
 * module alerter never answers and ignores its abort signal; the alert stays unsent.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startApp } from '../../../src/app/app.ts';
import { SecretRegistry } from '../../../src/app/logger.ts';
import { systemClock } from '../../../src/model/clock.ts';
import { moduleWorkspace } from '../../support/module-workspace.ts';

describe('stop()', () => {
  it('ends within the shutdown timeout though an alerter hangs', async () => {
    const { dir } = moduleWorkspace({
      'hang.ts': [
        'export default {',
        "  name: 'hang',",
        '  create: () => ({',
        "    type: 'hang', channel: 'hang', info: () => ({}), secrets: () => [],",
        '    send: () => new Promise(() => {}),',
        '  }),',
        '};',
      ],
    });
    writeFileSync(
      join(dir, 'config.yaml'),
      `rules_folder: ${join(dir, 'rules')}\nes_host: localhost\nwriteback_index: wb\nrun_every: {minutes: 1}\nbuffer_time: {minutes: 15}\n`,
    );
    writeFileSync(join(dir, 'rules', 'r.yaml'), 'name: r\ntype: any\nindex: i\nalert: [modules/hang.ts]\n');
    const now = Date.now();
    const app = await startApp(
      {
        configFile: join(dir, 'config.yaml'),
        data: [{ _id: 'a', _index: 'i', _source: { '@timestamp': new Date(now - 60_000).toISOString() } }],
        drainMs: 500,
        // the backfill waits this long for its queued alerts before it counts as finished
        deliverMs: 200,
      },
      {
        env: () => undefined,
        clock: systemClock,
        logger: pino({ level: 'silent' }),
        secrets: new SecretRegistry(),
      },
    );
    await app.finished;
    // the alert is being sent (the queue holds it until its send ends, which it never does)
    for (let i = 0; i < 100 && !app.pipeline.queued().hang; i++) await new Promise((r) => setTimeout(r, 50));
    expect(app.pipeline.queued().hang).toBe(1);
    const stopped = await Promise.race([
      app.stop().then(() => 'stopped'),
      new Promise((r) => setTimeout(() => r('still waiting'), 15_000)),
    ]);
    expect(stopped).toBe('stopped');
  }, 30_000);
});
