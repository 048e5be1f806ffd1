import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { libraryAliases } from '../tools/library-aliases.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The benchmark page: a production build, served by `vite preview`, driven by bench/run.mjs. */
export default defineConfig({
  root: here('./page'),
  resolve: { alias: libraryAliases },
  worker: { format: 'es' },
  build: { outDir: here('./.build'), emptyOutDir: true, target: 'es2022' },
  preview: { host: '127.0.0.1', port: 4180, strictPort: true },
  logLevel: 'warn',
});
