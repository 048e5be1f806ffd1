// What a Vite build ships, in gzip bytes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The gzip bytes of a Vite build's scripts (built with `build.manifest`): the page's (its entries and what they
 * import) and the rest (its workers).
 * @param {string} outDir
 */
export function builtScriptSizes(outDir) {
  const manifest = JSON.parse(readFileSync(join(outDir, '.vite/manifest.json'), 'utf8'));
  /** @type {Set<string>} */
  const pageFiles = new Set();
  const visit = (/** @type {string} */ key) => {
    const chunk = manifest[key];
    if (!chunk || pageFiles.has(chunk.file)) return;
    pageFiles.add(chunk.file);
    (chunk.imports ?? []).forEach(visit);
  };
  Object.keys(manifest).filter((key) => manifest[key].isEntry).forEach(visit);
  const scripts = readdirSync(join(outDir, 'assets')).filter((file) => file.endsWith('.js')).map((file) => `assets/${file}`);
  const gzip = (/** @type {string[]} */ files) => files.reduce((sum, file) => sum + gzipSync(readFileSync(join(outDir, file))).length, 0);
  return { page: gzip(scripts.filter((file) => pageFiles.has(file))), worker: gzip(scripts.filter((file) => !pageFiles.has(file))) };
}
