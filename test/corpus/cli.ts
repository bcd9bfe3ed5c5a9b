/**
 * npm run corpus -- generate --docs 1000000 --out events.ndjson
 * npm run corpus -- generate --out events.ndjson --logs logs.ndjson --log-layout ecs
 * npm run corpus -- load --url http://127.0.0.1:9200 --docs 1000000 [--style dotted]
 */
import { createWriteStream, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { loadDocuments } from '../../src/query/memory/load-documents.ts';
import type { CorpusDoc } from './kube.ts';
import { Command } from 'commander';
import { connectElasticsearch } from '../../src/query/es-client.ts';
import { type CorpusOptions, generateAll, generateCorpus } from './generator.ts';
import { generateLogs, type LogLayout } from './logs.ts';
import { type IndexStyle, loadCorpus } from './load.ts';

function corpusOptions(o: {
  docs?: string;
  hours?: string;
  seed?: string;
  start?: string;
  dropOldEvent?: boolean;
}): CorpusOptions {
  const out: CorpusOptions = {};
  if (o.docs) out.docs = Number(o.docs);
  if (o.hours) out.hours = Number(o.hours);
  if (o.seed) out.seed = o.seed;
  if (o.start) out.start = o.start;
  if (o.dropOldEvent) out.dropOldEvent = true;
  return out;
}

const program = new Command('corpus').description('Generate and load the Kubernetes event corpus');
const common = (c: Command) =>
  c
    .option('--docs <n>', 'approximate number of documents', '40000')
    .option('--hours <n>', 'simulated hours', '24')
    .option('--seed <s>', 'random seed', 'esalert')
    .option('--start <iso>', 'start of the simulated period', '2024-05-14T00:00:00Z')
    .option('--drop-old-event', 'drop old_event as the seed Logstash pipeline does');

common(program.command('generate'))
  .option('--out <file>', 'NDJSON output (default stdout)')
  .option('--manifest <file>', 'write the scenario manifest as JSON')
  .option('--logs <file>', "also write the containers' log lines (NDJSON) beside the events")
  .option('--log-layout <layout>', 'fields of the log lines: fluentd or ecs (Filebeat)', 'fluentd')
  .action(
    async (o: {
      out?: string;
      manifest?: string;
      logs?: string;
      logLayout?: string;
      docs?: string;
      hours?: string;
      seed?: string;
      start?: string;
    }) => {
      const corpus = generateCorpus(corpusOptions(o));
      const out = o.out ? createWriteStream(o.out) : process.stdout;
      for (const d of corpus.docs()) {
        if (!out.write(`${JSON.stringify({ _id: d._id, ...d._source })}\n`)) {
          await new Promise<void>((r) => out.once('drain', () => r()));
        }
      }
      if (o.out) await new Promise((r) => (out as ReturnType<typeof createWriteStream>).end(r));
      if (o.manifest) createWriteStream(o.manifest).end(`${JSON.stringify(corpus.manifest, null, 2)}\n`);
      process.stderr.write(`generated ${corpus.manifest.docs} documents\n`);
      if (o.logs) {
        const layout = o.logLayout === 'ecs' ? 'ecs' : ('fluentd' satisfies LogLayout);
        const logs = generateLogs(generateAll(corpusOptions(o)).docs, layout);
        createWriteStream(o.logs).end(
          logs.map((l) => `${JSON.stringify({ _id: l._id, ...l._source })}\n`).join(''),
        );
        process.stderr.write(`generated ${logs.length} log lines (${layout})\n`);
      }
    },
  );

common(program.command('load'))
  .requiredOption('--url <url>', 'Elasticsearch URL')
  .option('--style <style>', 'dashed (eventrouter-2024-05-14) or dotted (eventrouter-2024.05.14)', 'dashed')
  .option('--prefix <p>', 'index prefix', 'eventrouter-')
  .action(
    async (o: {
      url: string;
      style: string;
      prefix: string;
      docs?: string;
      hours?: string;
      seed?: string;
      start?: string;
    }) => {
      const conn = await connectElasticsearch({ nodes: [o.url], requestTimeoutMs: 120_000 });
      try {
        const corpus = generateCorpus(corpusOptions(o));
        const r = await loadCorpus(conn.client, corpus.docs(), {
          style: o.style as IndexStyle,
          prefix: o.prefix,
          onProgress: (n) => process.stderr.write(`  ${n} documents\r`),
        });
        const rate = Math.round(r.docs / (r.ms / 1000));
        console.log(
          `loaded ${r.docs} documents into ${r.indices.length} indices (${r.indices.join(', ')}) of Elasticsearch ${conn.server.version} in ${(r.ms / 1000).toFixed(1)}s: ${rate} docs/s (generation included)`,
        );
      } finally {
        await conn.close();
      }
    },
  );

program
  .command('logs')
  .description(
    'container log lines for a file of events (NDJSON, optionally gzipped), as a log shipper indexes them',
  )
  .requiredOption('--events <file>', 'the events')
  .requiredOption('--out <file>', 'NDJSON output (gzipped when it ends in .gz)')
  .option('--layout <layout>', 'fluentd or ecs (Filebeat)', 'fluentd')
  .option('--index <name>', 'the _index the lines carry', 'k8s-logs-2024.05.14')
  .action(async (o: { events: string; out: string; layout: string; index: string }) => {
    const events = (await loadDocuments(o.events)).map((d) => ({ _id: d._id, _source: d._source }));
    const layout: LogLayout = o.layout === 'ecs' ? 'ecs' : 'fluentd';
    const text = generateLogs(events as unknown as CorpusDoc[], layout)
      .map((l) => `${JSON.stringify({ _id: l._id, _index: o.index, ...l._source })}\n`)
      .join('');
    writeFileSync(o.out, o.out.endsWith('.gz') ? gzipSync(text) : text);
    process.stderr.write(`wrote ${text.split('\n').length - 1} log lines (${layout}) to ${o.out}\n`);
  });

await program.parseAsync();
