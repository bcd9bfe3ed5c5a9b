/** The suppress stage's silence cache is bounded: forget() without a key forgets what realert no longer needs. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createSuppress } from '../../../src/alerts/suppress.ts';
import { createRuntimeRule } from '../../../src/engine/runtime-rule.ts';
import { FakeClock } from '../../../src/model/clock.ts';
import { compileTestRule } from '../../support/compiled-rule.ts';

const DAY = 86_400_000;

describe('suppress', () => {
  it('prunes realert silences 30 days after they ended, and keeps those still running', async () => {
    const clock = new FakeClock('2024-05-14T10:00:00Z');
    const suppress = createSuppress({ clock, silences: { silence: () => Promise.resolve(undefined) } });
    const rt = createRuntimeRule(
      compileTestRule({
        name: 'pods',
        type: 'any',
        index: 'events',
        query_key: 'pod',
        realert: { minutes: 10 },
        alert: ['debug'],
      }),
    );
    const run = () => ({ checked: new Set<string>(), logger: pino({ level: 'silent' }) });
    for (const pod of ['a', 'b', 'c'])
      expect(await suppress.check(rt, { '@timestamp': '2024-05-14T10:00:00Z', pod }, run())).toMatchObject({
        silenced: false,
      });
    expect(suppress.forget()).toBe(0);
    clock.advance(31 * DAY);
    expect(await suppress.check(rt, { '@timestamp': '2024-06-14T10:00:00Z', pod: 'c' }, run())).toMatchObject(
      {
        silenced: false,
      },
    );
    // a and b ended 31 days ago; c was set again just now
    expect(suppress.forget()).toBe(2);
    expect(await suppress.check(rt, { '@timestamp': '2024-06-14T10:01:00Z', pod: 'c' }, run())).toMatchObject(
      {
        silenced: true,
      },
    );
  });
});
