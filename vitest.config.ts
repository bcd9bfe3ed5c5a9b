import { defineConfig } from 'vitest/config';
import { pickJava } from './test/harness/java.ts';

const integration = (major: 8 | 9) => ({
  test: {
    name: `es${major}`,
    include: ['test/integration/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    provide: { esMajor: major },
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});

// Elasticsearch 9.x needs Java 21+; without one the 9.x project is left out (and the harness says so).
const versions = (process.env.ESALERT_ES_VERSIONS ?? '8,9').split(',').map((v) => v.trim());
const withEs9 = versions.includes('9') && pickJava(21) !== undefined;
if (versions.includes('9') && !withEs9)
  process.stderr.write('[es-harness] no Java 21+ found: skipping Elasticsearch 9.x\n');

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Limits against a hang, not a speed test: on a loaded machine a test that starts the
          // command line (demo, validate, run --data) takes many seconds.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      ...(versions.includes('8') ? [integration(8)] : []),
      ...(withEs9 ? [integration(9)] : []),
    ],
  },
});
