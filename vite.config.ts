/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vite';
import { chaosCommands } from './lib/test-support/chaos/commands.ts';
import { chromiumLaunchOptions } from './tools/chromium.mjs';
import { contentSecurityPolicy } from './tools/csp-plugin.ts';
import { libraryAliases } from './tools/library-aliases.ts';
import { offlineShell } from './tools/offline-shell-plugin.ts';

export default defineConfig({
  plugins: [react(), offlineShell(), contentSecurityPolicy()],
  resolve: { alias: libraryAliases },
  build: { outDir: 'demo-dist', target: 'es2022' },
  worker: { format: 'es' },
  optimizeDeps: { include: ['idb', 'comlink', 'dexie', 'fast-check', 'react', 'react-dom/client'] },
  preview: { port: 4173, strictPort: true },
  test: {
    // `expect.poll` waits on a state; its bound is for a state never reached, not a measure of speed. Vitest's 1 s
    // default was passed under load by states that came (a catch-up projection reaching its failing event, once).
    expect: { poll: { timeout: 20_000 } },
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['{lib,demo-app,bench,tools}/**/*.test.ts'],
          exclude: ['**/*.browser.test.ts'],
          setupFiles: ['lib/test-support/fail-on-unhandled-rejection.ts'],
          // One PostgreSQL server for the run (DATABASE_URL, or a throwaway cluster): inject('postgresUrl').
          globalSetup: ['lib/test-support/postgres-global-setup.ts'],
          // Heavy cases (100,000-event streams) take seconds on a loaded machine: a timeout is for hangs, not speed.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['{lib,demo-app,bench}/**/*.browser.test.{ts,tsx}'],
          setupFiles: ['lib/test-support/fail-on-unhandled-rejection.ts'],
          // A sync server on PGlite for the tests of sync: inject('syncUrl').
          globalSetup: ['lib/test-support/sync-server-global-setup.ts'],
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: chromiumLaunchOptions }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
            // The chaos test's fault proxy, server process and PostgreSQL, driven from the page.
            commands: chaosCommands,
          },
        },
      },
    ],
  },
});
