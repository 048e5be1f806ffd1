// What the fixture app pays for eventfold (B5): `npm run size` prints it, `npm run bench` reports it with the rest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { builtScriptSizes } from '../tools/built-sizes.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
/** `eventfold` and `eventfold/*` resolved to the library's sources, as in tools/library-aliases.ts (which Node cannot import). */
const libraryAliases = [
  { find: /^eventfold$/, replacement: join(root, 'lib/index.ts') },
  { find: /^eventfold\/(.+)$/, replacement: join(root, 'lib/$1/index.ts') },
];

/**
 * Builds one page of the fixture app with Vite and the app's own config (fixtures/app/vite.config.ts), as its
 * production build would, `eventfold` resolved to the library's sources. Returns the gzip bytes of the page's scripts
 * and of the worker's.
 * @param {string} page the page's entry module
 */
async function buildFixturePage(page) {
  const outDir = mkdtempSync(join(tmpdir(), 'eventfold-fixture-size-'));
  try {
    await build({
      configFile: join(root, 'fixtures/app/vite.config.ts'),
      root: join(root, 'fixtures/app'),
      logLevel: 'warn',
      resolve: { alias: libraryAliases },
      build: { outDir, emptyOutDir: true, manifest: true, rolldownOptions: { input: page } },
    });
    return builtScriptSizes(outDir);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/**
 * What the fixture app (fixtures/app: a counter over `connect`, `useEntity` and `useClientStatus`, its worker on
 * `exposeRuntime` and `openIndexedDbJournal`) pays for eventfold, in gzip bytes: its page's scripts minus those of
 * the same page over React state without eventfold (fixtures/baseline), and its whole worker (eventfold, idb,
 * comlink and the app's entity).
 */
export async function fixtureAppSizes() {
  const withEventfold = await buildFixturePage(join(root, 'fixtures/app/src/main.tsx'));
  const without = await buildFixturePage(join(root, 'fixtures/baseline/main.tsx'));
  return { page: withEventfold.page - without.page, pageTotal: withEventfold.page, pageWithout: without.page, worker: withEventfold.worker };
}
