// npm run size [-- --modules]
// Prints the gzip size of the worker side with and without projections and schemas, of the page side, and what the
// fixture app pays, as bench/run.mjs measures them (B5); with --modules, the minified size of each module of the
// worker side.
import { fixtureAppSizes } from '../bench/sizes.mjs';
import { bundle, entries, workerEntries } from './library-sizes.mjs';

const kB = (/** @type {number} */ bytes) => `${(bytes / 1024).toFixed(2)} kB`;
/** @type {[string, string][]} */
const rows = [
  ['worker (B5: entities {})', entries.worker],
  ...Object.entries(workerEntries),
  ['page (B5)', entries.page],
];
const width = Math.max(...rows.map(([label]) => label.length));
/** @type {Record<string, number>} */
let modules = {};
for (const [label, source] of rows) {
  const result = await bundle(source);
  if (label === 'worker, projections and schemas') modules = result.modules;
  console.log(`${label.padEnd(width)}  ${kB(result.gzip).padStart(9)} gzip (${result.gzip} B)  ${kB(result.minified).padStart(9)} minified`);
}
const app = await fixtureAppSizes();
console.log(
  `${'fixture app: page, minus the page without'.padEnd(width)}  ${kB(app.page).padStart(9)} gzip (${kB(app.pageTotal)} with eventfold, ${kB(app.pageWithout)} without)`,
);
console.log(`${'fixture app: whole worker'.padEnd(width)}  ${kB(app.worker).padStart(9)} gzip (eventfold, idb, comlink, its entity)`);
if (process.argv.includes('--modules')) {
  console.log('\nminified bytes per module (worker, projections and schemas), before gzip:');
  for (const [id, size] of Object.entries(modules).sort((a, b) => b[1] - a[1])) console.log(`${String(size).padStart(7)}  ${id}`);
}
