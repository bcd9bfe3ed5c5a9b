/**
 * Recording an alert in the alert log before it is sent (alert_sent: false): a replayed window
 * finds it and does not alert twice, and an alert that could not be delivered is sent again
 * after a restart.
 *
 * Failure policy: when the alert log cannot be written (the writeback is down), the alert is
 * sent all the same and its document is kept in memory, to be written by the next flush of the
 * outbox (writeUnrecorded).
 */
import type { Logger } from 'pino';
import { errorMessage } from '../errors/esalert-error.ts';
import type { AlertDoc, AlertStore } from '../state/writeback.ts';

export type RecordResult = 'created' | 'exists' | 'unrecorded';

export interface Record {
  record(ruleName: string, id: string, doc: AlertDoc): Promise<RecordResult>;
  /** Writes the documents that could not be written when their alerts happened, oldest first. */
  writeUnrecorded(): Promise<void>;
}

export function createRecord(deps: { alerts: Pick<AlertStore, 'createAlert'>; logger: Logger }): Record {
  /** Alerts whose document could not be written (writeback down): kept and written later. */
  const unrecorded: { id: string; doc: AlertDoc }[] = [];
  return {
    async record(ruleName, id, doc) {
      let created: 'created' | 'exists';
      try {
        created = await deps.alerts.createAlert(id, doc);
      } catch (err) {
        deps.logger.error(
          { rule: ruleName, err: errorMessage(err) },
          'cannot record the alert in the writeback index; sending it and recording it later',
        );
        unrecorded.push({ id, doc });
        return 'unrecorded';
      }
      if (created === 'exists')
        deps.logger.info(
          { rule: ruleName, id },
          'alert already recorded (window evaluated again); not sending it twice',
        );
      return created;
    },

    async writeUnrecorded() {
      while (unrecorded.length > 0) {
        const u = unrecorded[0]!;
        try {
          await deps.alerts.createAlert(u.id, u.doc);
        } catch {
          break;
        }
        unrecorded.shift();
      }
    },
  };
}
