/**
 * What `esalert run` keeps out of memory until something needs it: nunjucks (Jinja templates),
 * nodemailer (email), undici (alerts sent over HTTP; Elasticsearch is reached with node:http),
 * prom-client and the HTTP server (--http-port), the in-memory search backend (--data, demo, test). Each case runs in its own Node process, which reports every module it loaded.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

// registers a load hook that records every module URL, and prints them on exit
const TRACE = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ load(url, ctx, next) { seen.add(url); return next(url, ctx); } });
process.on('exit', () => process.stdout.write('\\n@@' + JSON.stringify([...seen])));
`)}`;

function loadedBy(script: string): string[] {
  const r = spawnSync(process.execPath, ['--import', TRACE, '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.stderr).not.toMatch(/Error:/);
  const at = r.stdout.lastIndexOf('@@');
  expect(at).toBeGreaterThanOrEqual(0);
  return JSON.parse(r.stdout.slice(at + 2)) as string[];
}

const HEAVY = [
  /\/node_modules\/nunjucks\//,
  /\/node_modules\/nodemailer\//,
  /\/node_modules\/undici\//,
  /\/node_modules\/prom-client\//,
  /\/src\/query\/memory\//,
];

describe('parts loaded on demand', () => {
  it('the run command, its app and every rule option check load none of the heavy parts', () => {
    const urls = loadedBy(`
      await import('./src/app/service.ts');
      const { catalogs } = await import('./src/app/catalogs.ts');
      catalogs();
      // last: with no command the CLI prints its help and exits
      await import('./src/cli/main.ts');
    `);
    expect(urls.some((u) => u.endsWith('/src/app/app.ts'))).toBe(true);
    for (const heavy of HEAVY) expect(urls.filter((u) => heavy.test(u))).toEqual([]);
  }, 90_000);

  it('a Jinja template loads nunjucks, an email loads nodemailer, an HTTP alert undici', () => {
    const urls = loadedBy(`
      const { compileTemplate } = await import('./src/format/jinja.ts');
      compileTemplate('{{ a }}').render({ a: 1 });
      const { composeEmail } = await import('./src/alerters/smtp-send.ts');
      await composeEmail({
        from: 'a@example.com', to: ['b@example.com'], cc: [], bcc: [], replyTo: '',
        subject: 's', body: 'b', html: false, images: [],
      });
      const { createServer } = await import('node:http');
      const server = createServer((req, res) => res.end('ok'));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { httpSend } = await import('./src/alerters/http.ts');
      const url = 'http://127.0.0.1:' + server.address().port + '/';
      const res = await httpSend(url, '{}', { timeoutMs: 10000 }, new AbortController().signal);
      if (res.body !== 'ok') throw new Error('no answer from the receiver');
      server.close();
      (await import('undici')).getGlobalDispatcher().destroy();
    `);
    expect(urls.some((u) => /\/node_modules\/nunjucks\//.test(u))).toBe(true);
    expect(urls.some((u) => /\/node_modules\/nodemailer\//.test(u))).toBe(true);
    expect(urls.some((u) => /\/node_modules\/undici\//.test(u))).toBe(true);
  }, 90_000);
});
