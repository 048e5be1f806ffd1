import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const configFile = join(root, 'vite.config.ts');

/**
 * The demo built by a test, as `npm run build` builds it, but from a copy of `public/` that the test may edit, into a
 * folder of its own, served on `port` by `vite preview`. `rebuild` builds again into the served folder, as a deploy
 * of a new version does.
 */
export async function ownBuild(port: number) {
  const work = mkdtempSync(join(tmpdir(), 'eventfold-build-'));
  const publicDir = join(work, 'public');
  const outDir = join(work, 'site');
  cpSync(join(root, 'public'), publicDir, { recursive: true });
  const rebuild = () => build({ root, configFile, publicDir, logLevel: 'error', build: { outDir, emptyOutDir: true } });
  await rebuild();
  const server = await preview({
    root,
    configFile,
    logLevel: 'error',
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: true },
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    rebuild,
    readPublic: (file: string) => readFileSync(join(publicDir, file), 'utf8'),
    writePublic: (file: string, text: string) => writeFileSync(join(publicDir, file), text),
    dispose: async () => {
      await server.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
