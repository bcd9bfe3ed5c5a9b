/**
 * The stores of `run --debug`, as ElastAlert 2 skips the writeback in debug mode: runs resume
 * from the live run status and honour live silences, but write no status, silence or error; the
 * alerts (and aggregates) of the process are kept in memory. Rule type state is read and saved
 * as in a normal run.
 */
import type { AlertStore, Stores, WritebackStore } from './writeback.ts';

export function debugStores(live: WritebackStore, alerts: AlertStore): Stores {
  return {
    status: { lastStatus: (name, signal) => live.lastStatus(name, signal), writeStatus: async () => {} },
    silences: {
      silence: (key, signal) => live.silence(key, signal),
      writeSilence: async () => {},
      listSilences: (filter, signal) => live.listSilences(filter, signal),
      deleteSilence: async () => false,
    },
    alerts,
    ruleState: live,
    errors: { writeError: async () => {} },
  };
}
