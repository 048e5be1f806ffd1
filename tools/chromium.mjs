// The one place that says which Chromium the project drives and how it is launched.
// Vitest's browser provider, the Playwright config, the benchmark and scripts all import it.
import { existsSync } from 'node:fs';

/** Debian's Chromium: Playwright cannot download its own browser on machines without internet. */
export const debianChromium = '/usr/bin/chromium';

/**
 * The Chromium executable to launch: `CHROMIUM_PATH` when set, else Debian's Chromium when installed,
 * else `undefined`, which lets Playwright use the browser it installed itself (`npx playwright install chromium`).
 * @returns {string | undefined}
 */
export function chromiumExecutable() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  return existsSync(debianChromium) ? debianChromium : undefined;
}

/**
 * Launch options for every Chromium the project starts. The background-networking flags keep the browser from
 * calling outside hosts; `--no-sandbox` is needed when running as root (CI, containers).
 * @type {import('playwright').LaunchOptions}
 */
export const chromiumLaunchOptions = {
  executablePath: chromiumExecutable(),
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
  ],
};
