// Bundles a server entry written in TypeScript into one ES module for Node to run, with eventfold from its sources
// (as the demo's page has it) and every other package left an import: the demo's server, and the servers tests and
// the benchmark start as processes of their own.
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const lib = (/** @type {string} */ path) => fileURLToPath(new URL(`../lib/${path}`, import.meta.url));
const entryOf = (/** @type {string} */ id) =>
  id === 'eventfold' ? lib('index.ts') : id.startsWith('eventfold/') ? lib(`${id.slice('eventfold/'.length)}/index.ts`) : undefined;

/**
 * Bundles `input` into the file `output`.
 * @param {string} input
 * @param {string} output
 */
export async function bundleForNode(input, output) {
  const built = await rolldown({
    input,
    platform: 'node',
    external: (id) => !id.startsWith('.') && !id.startsWith('/') && entryOf(id) === undefined,
    plugins: [{ name: 'eventfold-sources', resolveId: (id) => entryOf(id) ?? null }],
    logLevel: 'warn',
  });
  try {
    await built.write({ file: output, format: 'es' });
  } finally {
    await built.close();
  }
}
