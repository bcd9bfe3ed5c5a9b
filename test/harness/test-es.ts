import type { DEFAULT_CORPUS } from '../corpus/generator.ts';
import type { Manifest } from '../corpus/scenarios.ts';
import type { Product, ServerId } from './elasticsearch.ts';

/** What the global setup tells integration tests about their server. */
export interface TestEs {
  id: ServerId;
  distribution: Product;
  url: string;
  version: string;
  major: number;
  /** x-pack security present; anonymous requests act as superuser, `credentials` is a file-realm superuser. */
  security: boolean;
  /** The lang-painless module is present (scripts run). */
  painless: boolean;
  credentials?: { username: string; password: string };
  corpus: { options: typeof DEFAULT_CORPUS; manifest: Manifest; indices: string[] };
}

declare module 'vitest' {
  export interface ProvidedContext {
    es: TestEs;
    server: string;
  }
}
