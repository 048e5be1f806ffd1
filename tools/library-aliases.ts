import { fileURLToPath } from 'node:url';

const lib = (path: string) => fileURLToPath(new URL(`../lib/${path}`, import.meta.url));

/**
 * `eventfold` and `eventfold/*` resolved to the library's sources: the demo, the tests and the benchmark import the
 * library by its published name, so they can only use its public API.
 */
export const libraryAliases = [
  { find: /^eventfold$/, replacement: lib('index.ts') },
  { find: /^eventfold\/(.+)$/, replacement: lib('$1/index.ts') },
];
