// node bench/sizes.mjs: the B5 size figures alone (npm run bench reports them with the rest).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { rolldown } from 'rolldown';
import { build } from 'vite';
import { builtScriptSizes } from '../tools/built-sizes.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
/** `eventfold` and `eventfold/*` resolved to the library's sources, as in tools/library-aliases.ts (which Node cannot import). */
const libraryAliases = [
  { find: /^eventfold$/, replacement: join(root, 'lib/index.ts') },
  { find: /^eventfold\/(.+)$/, replacement: join(root, 'lib/$1/index.ts') },
];

/**
 * Sizes of the library's own code as an app ships it: a worker entry that serves a runtime over the IndexedDB
 * journal, and a page entry that connects to it with the React hooks, each bundled, tree-shaken and minified with
 * idb, comlink and React left out, then gzipped. In bytes.
 */
export async function librarySizes() {
  const outDir = mkdtempSync(join(tmpdir(), 'eventfold-size-'));
  const lib = (/** @type {string} */ path) => JSON.stringify(join(root, 'lib', path));
  const bundle = async (/** @type {string} */ name, /** @type {string} */ source) => {
    const entry = join(outDir, `${name}.js`);
    writeFileSync(entry, source);
    // rolldown directly: Vite's library mode keeps whitespace in ES output, which an app's own build would remove.
    const built = await rolldown({ input: entry, external: ['idb', 'comlink', 'react'], logLevel: 'silent' });
    const { output } = await built.generate({ format: 'es', minify: true });
    return gzipSync(output.map((chunk) => (chunk.type === 'chunk' ? chunk.code : '')).join('\n')).length;
  };
  try {
    return {
      worker: await bundle(
        'worker',
        `import { openIndexedDbJournal } from ${lib('idb/index.ts')};
         import { exposeRuntime } from ${lib('worker/index.ts')};
         exposeRuntime({ journal: (hooks) => openIndexedDbJournal('app', hooks), entities: {} });`,
      ),
      page: await bundle(
        'page',
        `export { connect } from ${lib('client/index.ts')};
         export { useClientStatus, useEntity, useEntityIds, useReadModel, useTimeline } from ${lib('react/index.ts')};
         export { isEventfoldError } from ${lib('index.ts')};`,
      ),
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kB = (/** @type {number} */ bytes) => `${(bytes / 1_024).toFixed(1)} kB`;
  const library = await librarySizes();
  const app = await fixtureAppSizes();
  console.log(`library alone, gzip: worker side ${kB(library.worker)}, page side ${kB(library.page)}`);
  console.log(
    `as the fixture app pays it, gzip: page +${kB(app.page)} (${kB(app.pageTotal)} with eventfold, ${kB(app.pageWithout)} without), worker ${kB(app.worker)}`,
  );
}
