// The fixture app, installed and built, seen as its users and authors see it: served and driven in Chromium, its dev
// server visited, and its editor's "go to definition" asked. Used by tools/package-check.mjs.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright';
import { chromiumLaunchOptions } from './chromium.mjs';

const log = (/** @type {string} */ message) => console.log(`[package] ${message}`);

/** A port nobody listens on. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts the app's Vite (`command` 'preview' serves the build, 'dev' the dev server) on `port`, or on a free port
 * when none is given; resolves once it listens. The server must say that it listens on the port (another process
 * answering there does not count), and a free port that another process took in the meantime is tried again.
 * @param {string} app
 * @param {'preview' | 'dev'} command
 * @param {number | undefined} port
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<{ url: string, output: () => string, close: () => Promise<void> }>}
 */
export async function serve(app, command, port, env) {
  for (let attempt = 1; ; attempt++) {
    const chosen = port ?? /** @type {number} */ (await freePort());
    const started = await start(app, command, chosen, env);
    if (started.url) return { url: started.url, output: started.output, close: started.close };
    if (port !== undefined || attempt === 3 || !started.inUse) throw new Error(`vite ${command} did not start on port ${chosen}:\n${started.output()}`);
  }
}

/**
 * One try of `serve`: the URL once the server says it listens, or none when it exited first (`inUse` when the port
 * was taken).
 * @param {string} app
 * @param {'preview' | 'dev'} command
 * @param {number} port
 * @param {NodeJS.ProcessEnv} env
 */
async function start(app, command, port, env) {
  const server = spawn(process.execPath, ['node_modules/vite/bin/vite.js', command, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: app,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = `http://127.0.0.1:${port}/`;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const close = async () => {
    if (server.exitCode === null) server.kill();
    await exited;
  };
  const listening = await new Promise((resolve) => {
    const hear = (/** @type {Buffer} */ chunk) => {
      output += chunk;
      // Vite colours its output where it sees CI or a terminal: the URL is read without the colour codes.
      if (output.replace(/\x1b\[[0-9;]*m/g, '').includes(url)) resolve(true);
    };
    server.stdout.on('data', hear);
    server.stderr.on('data', hear);
    server.once('exit', () => resolve(false));
    // A guard against a server that neither listens nor exits, not a measure of how fast it starts.
    setTimeout(() => resolve(false), 120_000).unref();
  });
  if (!listening) await close();
  return { url: listening ? url : undefined, inUse: /already in use/i.test(output), output: () => output, close };
}

/**
 * Collects every console error, uncaught error and unhandled rejection of `page` and of its workers into `problems`.
 * @param {import('playwright').Page} page
 * @param {string[]} problems
 */
function watchForErrors(page, problems) {
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  // Playwright reports a worker's unhandled rejections as page errors; an uncaught error in a worker whose page
  // handles its `error` event (the client does) is reported nowhere, so the worker's own scope says it.
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('worker', (worker) => {
    worker
      .evaluate(() => self.addEventListener('error', (event) => console.error(`uncaught error in worker: ${event.message}`)))
      .catch(() => {});
  });
}

/**
 * Waits until the element with `testId` reads exactly `expected`.
 * @param {import('playwright').Page} page
 * @param {string} testId
 * @param {string} expected
 */
function shows(page, testId, expected) {
  return page
    .getByTestId(testId)
    .filter({ hasText: new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) })
    // A bound for an app that never gets there, not a measure of how fast it does.
    .waitFor({ timeout: 60_000 })
    .catch(async () => {
      throw new Error(`expected ${testId} to read "${expected}", it reads "${await page.getByTestId(testId).textContent()}"`);
    });
}

/**
 * Drives the built app in Chromium, on an on-disk profile so that the reload reads the state back from IndexedDB.
 * Fails on any console error, uncaught error or unhandled rejection, in the page and in its workers.
 * @param {string} url
 * @param {string} profile
 */
export async function driveApp(url, profile) {
  const context = await chromium.launchPersistentContext(profile, { ...chromiumLaunchOptions, headless: true });
  /** @type {string[]} */
  const problems = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    watchForErrors(page, problems);
    const text = (/** @type {string} */ testId, /** @type {string} */ expected) => shows(page, testId, expected);
    await page.goto(url);
    await text('status', 'ready');
    await text('count', '0');
    log('the app is ready with a count of 0');
    await page.getByRole('button', { name: 'Add 1' }).click();
    await text('outcome', 'ok: 1');
    await page.getByRole('button', { name: 'Add 1' }).click();
    await text('outcome', 'ok: 2');
    await text('count', '2');
    log('two commands were stored and shown');
    await page.getByRole('button', { name: 'Take 5' }).click();
    await text('outcome', 'rejected: not enough to take');
    await text('count', '2');
    log('a command beyond the count was rejected, with the code "rejected" and its reason');
    await page.reload();
    await text('status', 'ready');
    await text('count', '2');
    log('the count was kept across a reload');
  } catch (error) {
    // What the page or its workers reported is often why the app did not get there.
    const reported = problems.length > 0 ? `\nreported by the page or its workers:\n  ${problems.join('\n  ')}` : '';
    throw new Error(`${error instanceof Error ? error.message : String(error)}${reported}`);
  } finally {
    await context.close();
  }
  if (problems.length > 0) throw new Error(`errors in the page or its workers:\n  ${problems.join('\n  ')}`);
}

/**
 * "Go to definition" from the app into eventfold must land in its TypeScript source, through the declaration maps:
 * asked of TypeScript's language service, as an editor asks it (the mapping step is the one tsserver applies).
 * @param {string} app
 */
export function checkGoToDefinition(app) {
  const ts = createRequire(join(app, 'package.json'))('typescript-6');
  const config = ts.getParsedCommandLineOfConfigFile(join(app, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (/** @type {any} */ diagnostic) => {
      throw new Error(String(diagnostic.messageText));
    },
  });
  const service = ts.createLanguageService({
    getScriptFileNames: () => config.fileNames,
    getScriptVersion: () => '1',
    getScriptSnapshot: (/** @type {string} */ file) => (ts.sys.fileExists(file) ? ts.ScriptSnapshot.fromString(ts.sys.readFile(file)) : undefined),
    getCurrentDirectory: () => app,
    getCompilationSettings: () => config.options,
    getDefaultLibFileName: ts.getDefaultLibFilePath,
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  });
  /** @type {[file: string, name: string, source: string][]} */
  const uses = [
    ['src/counter.ts', 'defineEntity', 'lib/core/entity.ts'],
    ['src/counter.worker.ts', 'openIndexedDbJournal', 'lib/idb/indexeddb-journal.ts'],
    ['src/counter.worker.ts', 'exposeRuntime', 'lib/worker/expose-runtime.ts'],
    ['src/main.tsx', 'connect', 'lib/client/client.ts'],
    ['src/main.tsx', 'useEntity', 'lib/react/hooks.ts'],
    ['src/main.tsx', 'RejectedError', 'lib/core/errors.ts'],
  ];
  for (const [file, name, source] of uses) {
    const path = join(app, file);
    const [definition] = service.getDefinitionAtPosition(path, readFileSync(path, 'utf8').indexOf(name)) ?? [];
    const mapped = definition && service.getSourceMapper().tryGetSourcePosition({ fileName: definition.fileName, pos: definition.textSpan.start });
    const expected = join(app, 'node_modules/eventfold', source);
    if (mapped?.fileName !== expected) {
      throw new Error(`go to definition of ${name} leads to ${mapped?.fileName ?? definition?.fileName ?? 'nothing'}, not ${expected}`);
    }
  }
  log('go to definition leads into eventfold\'s TypeScript sources');
}

/**
 * Visits the app's dev server for the first time (nothing pre-bundled yet) and sends a command. The worker cannot
 * answer before the dev server has served its imports, so a dependency found late (which makes the dev server
 * re-bundle and reload the page) has reloaded the page, or dropped the command with it, before the answer shows.
 * @param {string} app
 * @param {number | undefined} port a port, or none for a free one
 * @param {NodeJS.ProcessEnv} env
 */
export async function checkDevServer(app, port, env) {
  rmSync(join(app, 'node_modules/.vite'), { recursive: true, force: true });
  const server = await serve(app, 'dev', port, env);
  const browser = await chromium.launch({ ...chromiumLaunchOptions, headless: true });
  /** @type {string[]} */
  const problems = [];
  try {
    const page = await browser.newPage();
    watchForErrors(page, problems);
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto(server.url);
    await shows(page, 'status', 'ready');
    await page.getByRole('button', { name: 'Add 1' }).click();
    await shows(page, 'outcome', 'ok: 1');
    if (loads !== 1 || /reloading/.test(server.output())) {
      throw new Error(`the dev server reloaded the page on the first visit (${loads} loads):\n${server.output()}`);
    }
    log('the dev server served the first visit without a reload');
  } finally {
    await browser.close();
    await server.close();
  }
  if (problems.length > 0) throw new Error(`errors in the page or its workers under the dev server:\n  ${problems.join('\n  ')}`);
}
