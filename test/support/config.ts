/** Global configs built in code for tests and benchmarks, as a config.yaml with these values would load. */
import { type GlobalConfig, parseGlobalConfig } from '../../src/config/global-config.ts';

const DEFAULTS = {
  rules_folder: '.',
  run_every: { minutes: 1 },
  buffer_time: { minutes: 15 },
  es_host: 'localhost',
  writeback_index: 'wb',
};

/** ElastAlert 2's required settings with usual values, then `values`; `file` names it in messages. */
export function testConfig(values: Record<string, unknown> = {}, file = 'config.yaml'): GlobalConfig {
  return parseGlobalConfig(
    { file, value: { ...DEFAULTS, ...values }, locate: () => ({ file, line: 1 }) },
    { env: () => undefined },
  );
}
