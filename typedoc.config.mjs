// @ts-check
// The API reference (`npm run docs`, into docs/api/) and the check that every export is documented
// (`npm run docs:check`, part of `npm test`). TypeDoc reads the sources with the TypeScript it depends on, installed
// beside it in tools/docs: TypeScript 7's native compiler, which the repository builds with, has no JavaScript API.
import { readFileSync } from 'node:fs';

/** Every entry of package.json's `exports` that has types, as its source: `./dist/idb/index.d.ts` → `lib/idb/index.ts`. */
const { exports } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const entryPoints = Object.values(exports)
  .flatMap((entry) => (typeof entry === 'object' && entry.types ? [entry.types] : []))
  .map((types) => types.replace(/^\.\/dist\//, 'lib/').replace(/\.d\.ts$/, '.ts'));

/** @type {Partial<import('./tools/docs/node_modules/typedoc').TypeDocOptions>} */
export default {
  name: 'eventfold',
  entryPoints,
  tsconfig: 'tsconfig.build.json',
  out: 'docs/api',
  readme: 'none',
  // Source links to the repository's main branch, whatever the clone's remote is called.
  disableGit: true,
  sourceLinkTemplate: 'https://github.com/eventfold/eventfold/blob/main/{path}#L{line}',
  excludePrivate: true,
  excludeInternal: true,
  // `npm run typecheck` checks the types with the repository's own compiler.
  skipErrorChecking: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  // Type arithmetic behind `EventSchema`'s typed upcasters: nothing a user names.
  intentionallyNotExported: ['Previous', 'Below'],
  treatValidationWarningsAsErrors: true,
};
