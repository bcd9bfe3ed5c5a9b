import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { connectElasticsearch, type EsConnection } from '../../src/query/es-client.ts';
import type { TestEs } from '../harness/test-es.ts';

export function testEs(): TestEs {
  return inject('es');
}

/** A name no other test uses (indices, writeback prefixes): tests run in parallel against one node. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function esHostPort(): { es_host: string; es_port: number } {
  const u = new URL(testEs().url);
  return { es_host: u.hostname, es_port: Number(u.port) };
}

export async function connectTestEs(): Promise<EsConnection> {
  return connectElasticsearch({ nodes: [testEs().url], requestTimeoutMs: 60_000 });
}
