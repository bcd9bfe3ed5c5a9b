/**
 * The Discover links end to end: `esalert test-rule --data` over an NDJSON file with rules that
 * generate kibana_discover_url (Python format args, $VAR in the app URL) and
 * opensearch_discover_url (a Jinja alert text), as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');

const EVENTS = [
  {
    '@timestamp': '2024-05-14T03:21:09Z',
    reason: 'OOMKilled',
    message: 'container api killed',
    pod: 'api-7c9f',
  },
  { '@timestamp': '2024-05-14T03:22:09Z', reason: 'Started', message: 'started', pod: 'web-1' },
];

function testRule(rule: string[]): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-discover-'));
  writeFileSync(join(dir, 'events.ndjson'), EVENTS.map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(join(dir, 'rule.yaml'), rule.join('\n') + '\n');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ES_')));
  const res = spawnSync(
    process.execPath,
    [join(ROOT, 'src/cli/main.ts'), 'test-rule', 'rule.yaml', '--data', 'events.ndjson'],
    { cwd: dir, encoding: 'utf8', env: { ...env, KIBANA_HOST: 'kibana.example' } },
  );
  return { status: res.status, out: res.stdout + res.stderr };
}

const head = [
  'name: pod-oom',
  'type: any',
  'index: logs-*',
  'query_key: pod',
  'filter:',
  '- term:',
  '    reason.keyword: OOMKilled',
];

const SPAWN_MS = 60_000;

describe('Discover links in alert texts', () => {
  it(
    'kibana_discover_url in alert_text_args',
    () => {
      const { status, out } = testRule([
        ...head,
        'alert: debug',
        'generate_kibana_discover_url: true',
        'kibana_discover_app_url: "http://$KIBANA_HOST:5601/app/discover#/"',
        'kibana_discover_version: "8.17"',
        'kibana_discover_index_pattern_id: "logs-*"',
        'alert_text: "{0} was OOMKilled: {1}"',
        'alert_text_args: [pod, kibana_discover_url]',
        'alert_text_type: alert_text_only',
      ]);
      expect(status, out).toBe(0);
      const line = out.split('\n').find((l) => l.startsWith('api-7c9f was OOMKilled: '));
      expect(line, out).toBeDefined();
      const url = line!.slice('api-7c9f was OOMKilled: '.length);
      expect(url.startsWith('http://kibana.example:5601/app/discover#/?_g=%28filters%3A%21%28%29')).toBe(
        true,
      );
      const a = decodeURIComponent(url.slice(url.indexOf('&_a=') + 4));
      expect(a).toContain('bool:(must:!((term:(reason.keyword:OOMKilled))))');
      expect(a).toContain('params:(query:api-7c9f,type:phrase)');
      expect(decodeURIComponent(url)).toContain(
        "time:(from:'2024-05-14T03:11:09Z',to:'2024-05-14T03:31:09Z')",
      );
      expect(out).not.toContain('not in the first hit');
    },
    SPAWN_MS,
  );

  it(
    'opensearch_discover_url in a Jinja alert text',
    () => {
      const { status, out } = testRule([
        ...head,
        'alert: debug',
        'generate_opensearch_discover_url: true',
        'opensearch_url: "http://osd.example:5601/"',
        'opensearch_discover_app_url: "app/data-explorer/discover#"',
        'opensearch_discover_version: "2.11"',
        'opensearch_discover_index_pattern_id: "4babf380"',
        'alert_text: "Logs of {{ pod }}: {{ opensearch_discover_url }}"',
        'alert_text_type: alert_text_jinja',
      ]);
      expect(status, out).toBe(0);
      const line = out.split('\n').find((l) => l.startsWith('Logs of api-7c9f: '));
      expect(line, out).toBeDefined();
      expect(line).toMatch(
        /^Logs of api-7c9f: http:\/\/osd\.example:5601\/app\/data-explorer\/discover#\?_g=.*&_a=.*&_q=.*query%3A%28language%3Alucene%2Cquery%3A%27%27%29%29$/,
      );
    },
    SPAWN_MS,
  );

  it(
    'an unparsable kibana_discover_version is refused with file:line',
    () => {
      const { status, out } = testRule([
        ...head,
        'alert: debug',
        'generate_kibana_discover_url: true',
        'kibana_discover_app_url: "app/discover#/"',
        'kibana_discover_version: "8.x"',
        'kibana_discover_index_pattern_id: "logs-*"',
      ]);
      expect(status).not.toBe(0);
      expect(out).toMatch(
        /rule\.yaml:11:\d+: kibana_discover_version must be Kibana's major and minor version/,
      );
    },
    SPAWN_MS,
  );
});
