// Makes sure a Chromium exists before the browser and end-to-end tests run.
// Installs Debian's package when it can (root with apt-get), otherwise says exactly what to do.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright';
import { chromiumExecutable, debianChromium } from './chromium.mjs';

function found() {
  const path = chromiumExecutable() ?? chromium.executablePath();
  return path && existsSync(path) ? path : undefined;
}

function canInstallDebianPackage() {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root && existsSync('/usr/bin/apt-get');
}

let path = found();
if (!path && !process.env.CHROMIUM_PATH && canInstallDebianPackage()) {
  console.log('No Chromium found: installing Debian\'s chromium package (about 30 s)…');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  path = existsSync(debianChromium) ? debianChromium : undefined;
}

if (!path) {
  console.error(
    [
      process.env.CHROMIUM_PATH
        ? `CHROMIUM_PATH is set to ${process.env.CHROMIUM_PATH}, but no executable is there.`
        : 'No Chromium found for the browser tests.',
      'Do one of these, then run npm test again:',
      '  - on Debian or Ubuntu: sudo apt-get install -y chromium',
      '  - with internet access: npx playwright install chromium',
      '  - point CHROMIUM_PATH at an installed Chromium or Chrome executable',
    ].join('\n'),
  );
  process.exit(1);
}
console.log(`Chromium: ${path}`);
