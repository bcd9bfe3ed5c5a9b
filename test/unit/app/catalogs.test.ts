import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogs, knownRuleOptionNames } from '../../../src/app/catalogs.ts';
import { loadGlobalConfig } from '../../../src/config/global-config.ts';

describe('rule options in config.yaml', () => {
  it('any rule, rule type or alerter option is a known default; a typo draws a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-known-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      [
        'es_host: localhost',
        'rules_folder: rules',
        'run_every: {minutes: 1}',
        'buffer_time: {minutes: 15}',
        'writeback_index: wb',
        'realert: {minutes: 5}',
        'compat_spike_on_zero: true',
        'k8s_levels: [Warning]',
        'num_events: 5',
        'dingtalk_msgtype: markdown',
        'realrt: {minutes: 5}',
      ].join('\n'),
    );
    const config = loadGlobalConfig(file, {
      env: () => undefined,
      knownRuleOptions: knownRuleOptionNames(catalogs()),
    });
    expect(config.warnings).toEqual([
      `${file}:11: unknown setting "realrt" is ignored; did you mean "realert"?`,
    ]);
  });
});
