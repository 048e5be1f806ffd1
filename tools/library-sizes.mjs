// The library's size as an app ships it, measured one way for the benchmark (B5) and `npm run size`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { rolldown } from 'rolldown';
import { minifySync } from 'rolldown/utils';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const lib = (/** @type {string} */ path) => JSON.stringify(join(root, 'lib', path));

/** The entries measured: what an app's worker or page imports from eventfold, and how it uses it. */
export const entries = {
  worker: `import { openIndexedDbJournal } from ${lib('idb/index.ts')};
    import { exposeRuntime } from ${lib('worker/index.ts')};
    exposeRuntime({ journal: (hooks) => openIndexedDbJournal('app', hooks), entities: {} });`,
  page: `export { connect } from ${lib('client/index.ts')};
    export { useClientStatus, useEntity, useEntityIds, useReadModel, useTimeline } from ${lib('react/index.ts')};
    export { isEventfoldError } from ${lib('index.ts')};`,
};

/**
 * Worker entries of an app that uses some features: no projections and no schemas, projections, schemas (an
 * event registry, a state version with migrations), and both.
 */
export const workerEntries = (() => {
  const imports = `import { openIndexedDbJournal } from ${lib('idb/index.ts')};
    import { exposeRuntime } from ${lib('worker/index.ts')};
    import { defineEntity, defineProjection } from ${lib('index.ts')};`;
  const entity = (/** @type {string} */ schemas) => `const counter = defineEntity({
      initialState: () => 0,
      decide: (command, state) => [{ type: 'added', by: command.by }],
      evolve: (state, event) => state + event.by,${schemas}
    });`;
  const schemas = `
      events: { added: { version: 2, aliases: ['incremented'], upcast: { 1: (e) => ({ ...e, by: 1 }) } } },
      stateVersion: 2,
      migrations: { 1: (state) => state },`;
  const projection = `const totals = defineProjection({
      name: 'totals',
      documentId: () => 'all',
      evolve: (doc, event) => (doc ?? 0) + event.event.by,
    });`;
  const serve = (/** @type {string} */ projections) =>
    `exposeRuntime({ journal: (hooks) => openIndexedDbJournal('app', hooks), entities: { counter }${projections} });`;
  return {
    'worker, no projections, no schemas': `${imports}${entity('')}${serve('')}`,
    'worker, projections': `${imports}${entity('')}${projection}${serve(', projections: [totals]')}`,
    'worker, schemas': `${imports}${entity(schemas)}${serve('')}`,
    'worker, projections and schemas': `${imports}${entity(schemas)}${projection}${serve(', projections: [totals]')}`,
  };
})();

/**
 * Bundles `source` as an app's build would (rolldown: tree-shaken, minified, idb, comlink and React left out) and
 * returns its gzip size in bytes, the minified code, and the minified size of each module's part of it.
 * @param {string} source
 */
export async function bundle(source) {
  const outDir = mkdtempSync(join(tmpdir(), 'eventfold-size-'));
  try {
    const entry = join(outDir, 'entry.js');
    writeFileSync(entry, source);
    // rolldown directly: Vite's library mode keeps whitespace in ES output, which an app's own build would remove.
    const built = await rolldown({ input: entry, external: ['idb', 'comlink', 'react'], logLevel: 'silent' });
    const { output } = await built.generate({ format: 'es', minify: true });
    const chunks = output.filter((chunk) => chunk.type === 'chunk');
    const code = chunks.map((chunk) => chunk.code).join('\n');
    /** @type {Record<string, number>} */
    const modules = {};
    for (const chunk of chunks) {
      for (const [id, module] of Object.entries(chunk.modules)) {
        if (!module.code) continue;
        modules[relative(root, id)] = minifySync(id.replace(/\.ts$/, '.js'), module.code).code.length;
      }
    }
    return { gzip: gzipSync(code).length, minified: code.length, code, modules };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
