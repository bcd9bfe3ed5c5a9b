/**
 * The last stage: the alert log learns what became of a delivery (alert_sent, and which of the
 * rule's alerters got it, so that a retry never resends to a channel that already has it).
 *
 * Failure policy: a record that cannot be written is logged; the alert then stays unsent in the
 * log, and is sent again only to the alerters that did not get it.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../errors/esalert-error.ts';
import type { AlertDoc, AlertStore } from '../state/writeback.ts';

export type MarkSent = (id: string, patch: Partial<AlertDoc>) => Promise<void>;

export function createMarkSent(deps: { alerts: Pick<AlertStore, 'updateAlert'>; logger: Logger }): MarkSent {
  return async (id, patch) => {
    await deps.alerts.updateAlert(id, patch).catch((err: unknown) => {
      deps.logger.error(
        { id, err: errorMessage(err) },
        'could not record the delivery in the writeback index',
      );
    });
  };
}
