import { defineConfig, devices } from '@playwright/test';
import { DEMO_PORT as port, HARNESS_PORT, HARNESS_URL } from './e2e/servers.ts';
import { chromiumLaunchOptions } from './tools/chromium.mjs';

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // A bound for a test that hangs, not a measure of speed: tests that launch an on-disk browser and drive dozens of
  // commands through the page take 15–30 s on a loaded 2-core machine, past Playwright's default of 30 s.
  timeout: 120_000,
  workers: process.env.CI ? 2 : undefined,
  reporter: process.env.CI ? 'list' : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: chromiumLaunchOptions,
    trace: 'retain-on-failure',
  },
  // `devices[...]` does not carry launch options: repeat them, or Playwright looks for a browser it downloaded.
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'], launchOptions: chromiumLaunchOptions } }],
  webServer: [
    {
      // The production build, as users get it, with its sync server (PGlite in memory); the typecheck runs elsewhere.
      command: `npm run build && npm run build:server && node demo-dist-server/main.mjs --memory --port ${port}`,
      url: `http://127.0.0.1:${port}`,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
    },
    {
      command: `npx vite --host 127.0.0.1 --port ${HARNESS_PORT} --strictPort`,
      url: HARNESS_URL,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
    },
  ],
});
