/**
 * Records the realert silence of an alerted (or aggregated) match in the silence store, so that
 * other processes and the next start honour it.
 *
 * Failure policy: a silence that cannot be written is logged; this process holds it in its
 * own cache all the same (suppress.ts).
 */
import type { Logger } from 'pino';
import type { Clock } from '../model/clock.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { SilenceStore } from '../state/writeback.ts';
import { toIso } from '../util/time.ts';
import type { RealertSilence } from './suppress.ts';

export interface RealertSilenceDeps {
  clock: Clock;
  logger: Logger;
  silences: Pick<SilenceStore, 'writeSilence'>;
}

export function createRealertSilence(
  deps: RealertSilenceDeps,
): (ruleName: string, silence: RealertSilence | undefined) => Promise<void> {
  return async (ruleName, silence) => {
    if (!silence) return;
    await deps.silences
      .writeSilence(silence.key, silence.entry, toIso(deps.clock.now()))
      .catch((err: unknown) =>
        deps.logger.error({ rule: ruleName, err: errorMessage(err) }, 'could not record the realert silence'),
      );
  };
}
