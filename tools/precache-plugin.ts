import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Plugin } from 'vite';

/**
 * Emits `sw.js`: the service worker at `source`, preceded by the list of every file of the build (and of the public
 * folder) to precache, and a version that changes whenever one of them does.
 */
export function precache({ source, publicDir }: { source: string; publicDir: string }): Plugin {
  return {
    name: 'eventfold-precache',
    apply: 'build',
    generateBundle(_, bundle) {
      const built = Object.keys(bundle).filter((file) => !file.endsWith('.map'));
      const files = [...built, ...readdirSync(publicDir)].sort();
      const urls = ['/', ...files.map((file) => `/${file}`)];
      const version = createHash('sha256').update(urls.join('\n')).digest('hex').slice(0, 12);
      this.emitFile({
        type: 'asset',
        fileName: 'sw.js',
        source: `const PRECACHE = ${JSON.stringify(urls)};\nconst VERSION = ${JSON.stringify(version)};\n${readFileSync(source, 'utf8')}`,
      });
    },
  };
}
