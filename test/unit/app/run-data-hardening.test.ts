/**
 * Untrusted event text and untrusted rule text, end to end: `esalert run --data` (the real CLI)
 * over one event whose message is a 300 KB token, with real HTTP receivers on 127.0.0.1:
 * - the aggregation summary table of that message reaches the webhook, capped with a marker;
 * - a post alerter's Authorization header never appears in the log, though the receiver echoes it;
 * - a template cannot print an environment variable, and `{{ _data }}` shows no credential.
 * The time this takes is in bench/format-bench.ts; this checks what comes out.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../../integration/support/http-receiver.ts';

const ROOT = join(import.meta.dirname, '../../..');
const TOKEN = 'post-bearer-token-9c41e7a2';
const ENV_SECRET = 'env-secret-7d2b5f0a9e';

function run(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd,
      env: { ...process.env, ...env },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

describe('run --data with hostile text', () => {
  let hook: Receiver;
  let post: Receiver;
  let result: { code: number; stderr: string };

  beforeAll(async () => {
    hook = await startReceiver({ status: 200, body: 'ok' });
    post = await startReceiver({ status: 400, echo: true });
    const dir = mkdtempSync(join(tmpdir(), 'esalert-hostile-'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        'rules_folder: rules',
        'es_host: localhost',
        'writeback_index: wb',
        'run_every: {minutes: 1}',
        'buffer_time: {minutes: 15}',
        'es_username: elastic',
        'es_password: ${ESALERT_E2E_SECRET}',
        '',
      ].join('\n'),
    );
    const base = 'type: any\nindex: events\ntimestamp_field: "@timestamp"\n';
    writeFileSync(
      join(dir, 'rules', 'summary.yaml'),
      `name: summary\n${base}aggregation: {minutes: 5}\nsummary_table_fields: [message]\nalert_text_type: aggregation_summary_only\nalert: [webhook]\nwebhook_url: ${hook.url}/hook\n`,
    );
    writeFileSync(
      join(dir, 'rules', 'post.yaml'),
      `name: post\n${base}alert: [post]\nhttp_post_url: ${post.url}/post\nhttp_post_headers: {Authorization: "Bearer ${TOKEN}"}\nhttp_post_all_values: false\n`,
    );
    writeFileSync(
      join(dir, 'rules', 'template.yaml'),
      `name: template\n${base}alert_text_type: alert_text_jinja\nalert_text: 'data={{ _data }} env={{ range.constructor("return process.env.ESALERT_E2E_SECRET")() }}'\nalert: [debug]\n`,
    );
    writeFileSync(
      join(dir, 'rules', 'template-data.yaml'),
      `name: template-data\n${base}alert_text_type: alert_text_jinja\nalert_text: 'data={{ _data }} proc={{ process }}{{ constructor.constructor }}'\nalert: [debug]\n`,
    );
    const event = { '@timestamp': new Date(Date.now() - 60_000).toISOString(), message: 'x'.repeat(300_000) };
    writeFileSync(join(dir, 'events.ndjson'), `${JSON.stringify(event)}\n`);
    result = await run(['run', '--config', 'config.yaml', '--data', 'events.ndjson', '--verbose'], dir, {
      ESALERT_E2E_SECRET: ENV_SECRET,
    });
  }, 120_000);
  afterAll(async () => {
    await hook.close();
    await post.close();
  });

  it('a 300 KB single-token message arrives in the summary table, capped with a marker', () => {
    expect(hook.received).toHaveLength(1);
    const text = (hook.received[0]!.json as { text: string }).text;
    expect(text).toContain("summary_table_fields ==> ['message', 'count']");
    expect(text).toContain('…(truncated, 298000 more');
    expect(text.length).toBeLessThan(10_000);
  });

  it("the post alerter's Authorization header never reaches the log, though the receiver echoed it", () => {
    expect(post.received.at(-1)!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(result.stderr).toContain('answered HTTP 400');
    expect(result.stderr).toContain('\\"authorization\\":\\"***\\"');
    for (const form of [TOKEN, Buffer.from(TOKEN).toString('base64')])
      expect(result.stderr).not.toContain(form);
  });

  it('a template cannot print an environment variable nor a credential', () => {
    expect(result.stderr).not.toContain(ENV_SECRET);
    expect(result.stderr).toMatch(/Unable to call/);
    const lines = result.stderr.split('\n').filter((l) => l.includes('Alert for template-data'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("'name': 'template-data'");
    expect(lines[0]).not.toMatch(/es_password|es_username|elastic/);
    expect(lines[0]).toContain('proc=');
    // the 300 KB message inside {{ _data }} is cut in the log line
    expect(lines[0]).toMatch(/…\(truncated, \d+ more characters\)/);
  });
});
