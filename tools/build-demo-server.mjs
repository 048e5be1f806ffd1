// Bundles the demo's server (demo-app/server/main.ts, with the bank's entity definitions) into demo-dist-server/,
// for Node to run. eventfold comes from its sources, as the demo's page does; other packages stay imports.
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const lib = (/** @type {string} */ path) => fileURLToPath(new URL(`../lib/${path}`, import.meta.url));
const entryOf = (/** @type {string} */ id) => (id === 'eventfold' ? lib('index.ts') : id.startsWith('eventfold/') ? lib(`${id.slice('eventfold/'.length)}/index.ts`) : undefined);

const built = await rolldown({
  input: 'demo-app/server/main.ts',
  platform: 'node',
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && entryOf(id) === undefined,
  plugins: [{ name: 'eventfold-sources', resolveId: (id) => entryOf(id) ?? null }],
  logLevel: 'warn',
});
await built.write({ file: 'demo-dist-server/main.mjs', format: 'es' });
await built.close();
