/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vite';
import { chromiumLaunchOptions } from './tools/chromium.mjs';
import { precache } from './tools/precache-plugin.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const lib = (path: string) => here(`./lib/${path}`);

export default defineConfig({
  plugins: [react(), precache({ source: here('./demo-app/service-worker.js'), publicDir: here('./public') })],
  resolve: {
    // The demo and the tests import the library by its published name, so they can only use its public API.
    alias: [
      { find: /^eventfold$/, replacement: lib('index.ts') },
      { find: /^eventfold\/(.+)$/, replacement: lib('$1/index.ts') },
    ],
  },
  build: { outDir: 'demo-dist', target: 'es2022' },
  worker: { format: 'es' },
  optimizeDeps: { include: ['idb', 'comlink', 'react', 'react-dom/client'] },
  preview: { port: 4173, strictPort: true },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['lib/**/*.test.ts', 'demo-app/**/*.test.ts'],
          exclude: ['**/*.browser.test.ts'],
          setupFiles: ['lib/test-support/fail-on-unhandled-rejection.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['lib/**/*.browser.test.{ts,tsx}', 'demo-app/**/*.browser.test.{ts,tsx}'],
          setupFiles: ['lib/test-support/fail-on-unhandled-rejection.ts'],
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: chromiumLaunchOptions }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
        },
      },
    ],
  },
});
