/** The test Elasticsearch for a describe block, and what to undo after each test (last step first). */
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { EsConnection } from '../../../src/query/es-client.ts';
import { connectTestEs } from '../helpers.ts';

export interface TestEsHooks {
  /** Connected before the block's first test. */
  readonly es: EsConnection;
  /** Steps run after each test, the last one pushed first. */
  cleanup: (() => unknown)[];
}

export function testEsHooks(): TestEsHooks {
  let es: EsConnection | undefined;
  const hooks: TestEsHooks = {
    get es() {
      if (!es) throw new Error('the test Elasticsearch is connected in beforeAll');
      return es;
    },
    cleanup: [],
  };
  beforeAll(async () => {
    es = await connectTestEs();
  });
  afterEach(async () => {
    for (const c of hooks.cleanup.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    await es?.close();
  });
  return hooks;
}
