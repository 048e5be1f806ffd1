// The bank's account of the demo (demo-app/bank/account.ts), the entity every workload of the benchmark runs, loaded
// in Node without a TypeScript step: its types stripped, its `eventfold` import pointed at the built library.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformWithOxc } from 'vite';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/**
 * The demo's account module as JavaScript, its `eventfold` import pointed at `dist/index.js` by absolute URL: what
 * `loadAccount` imports, and what a process of its own (the load test's server) imports from a file.
 * @returns {Promise<string>}
 */
export async function accountSource() {
  const path = join(root, 'demo-app/bank/account.ts');
  const { code } = await transformWithOxc(readFileSync(path, 'utf8'), path, { lang: 'ts' });
  const library = pathToFileURL(join(root, 'dist/index.js')).href;
  const source = code.replace(/from\s*["']eventfold["']/g, `from ${JSON.stringify(library)}`);
  if (source === code) throw new Error(`${path} no longer imports from 'eventfold': update bench/server/account.mjs`);
  return source;
}

/**
 * The demo's account definition, the very file the browser benchmark imports, over `dist/index.js` (the same module
 * instance as `../../dist/index.js`, so that `createRuntime` accepts what `defineEntity` made).
 * @returns {Promise<any>} the account's `EntityDefinition`
 */
export async function loadAccount() {
  const source = await accountSource();
  // A data: URL resolves only absolute specifiers, which the import now is.
  const module = await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`);
  return module.account;
}
