// npm run test:package
// Does what a new user does with eventfold: packs the repository (`npm pack`, which builds dist/), checks what the
// tarball holds, installs it into a copy of the fixture app (fixtures/app) outside the repository, type-checks the
// app under moduleResolution "bundler", "nodenext" and the legacy "node10", builds it with Vite, serves the build and
// drives it in Chromium: a command, a rejected command, a reload that keeps the state; then visits its dev server
// once, which must not reload the page. It also packs a clone of HEAD as a git install does.
// EVENTFOLD_PACKAGE_PORT and EVENTFOLD_PACKAGE_DEV_PORT set the preview and dev server ports (default: free ones);
// EVENTFOLD_PACKAGE_KEEP=1 keeps the scratch directory.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { builtScriptSizes } from './built-sizes.mjs';
import { chromiumLaunchOptions } from './chromium.mjs';
import { tarballProblems } from './tarball-contents.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const fixture = join(root, 'fixtures/app');
const log = (/** @type {string} */ message) => console.log(`[package] ${message}`);
const started = Date.now();

/**
 * The environment of a fresh shell: without what the `npm run` that started this script says about this package
 * (npm_package_*, npm_lifecycle_*, its local prefix), but with the npm configuration (a registry, a cache).
 */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => {
    const name = key.toLowerCase();
    return !name.startsWith('npm_') || (name.startsWith('npm_config_') && name !== 'npm_config_local_prefix');
  }),
);

/**
 * Runs a command to completion, its output shown only when it fails.
 * @param {string} command
 * @param {string[]} args
 * @param {string} cwd
 */
function run(command, args, cwd) {
  try {
    return execFileSync(command, args, { cwd, env: cleanEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failed = /** @type {{ stdout?: string, stderr?: string }} */ (error);
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
}

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

/** Packs the repository into `into`; returns the tarball's path and the files npm says it holds. */
function pack(/** @type {string} */ into) {
  const output = run('npm', ['pack', '--json', '--pack-destination', into], root);
  const [result] = JSON.parse(output.slice(output.indexOf('[')));
  return { tarball: join(into, result.filename), files: result.files.map((/** @type {{ path: string }} */ file) => file.path) };
}

/**
 * What `npm install github:…` packs: npm clones the repository, installs its dependencies, runs `prepare` and only
 * `prepare` (not `prepack`), and packs the directory. Done here on a clone of HEAD that borrows this checkout's
 * node_modules; returns the files of the tarball.
 * @param {string} scratch
 */
function packLikeGitInstall(scratch) {
  const clone = join(scratch, 'clone');
  const head = run('git', ['rev-parse', 'HEAD'], root).trim();
  run('git', ['clone', '--quiet', '--no-checkout', root, clone], scratch);
  run('git', ['checkout', '--quiet', head], clone);
  symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'junction');
  run('npm', ['run', '--if-present', 'prepare'], clone);
  const output = run('npm', ['pack', '--json', '--dry-run', '--ignore-scripts'], clone);
  const [result] = JSON.parse(output.slice(output.indexOf('[')));
  return result.files.map((/** @type {{ path: string }} */ file) => file.path);
}

/** The fixture's dependencies must be the versions of the repository's lockfile, so that they install from the cache. */
function checkPinnedVersions(/** @type {Record<string, Record<string, string>>} */ manifest) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const pinned = { ...manifest.dependencies, ...manifest.devDependencies };
  const drift = Object.entries(pinned).flatMap(([name, version]) => {
    const locked = lock.packages[`node_modules/${name}`]?.version;
    return locked && locked !== version ? [`${name}: fixture ${version}, repository ${locked}`] : [];
  });
  if (drift.length > 0) throw new Error(`fixtures/app pins other versions than package-lock.json:\n  ${drift.join('\n  ')}`);
}

/** Copies the fixture app to `app` and points its eventfold dependency at the tarball. */
function prepareApp(/** @type {string} */ app, /** @type {string} */ tarball) {
  cpSync(fixture, app, { recursive: true, filter: (source) => !/[\\/](node_modules|dist)$/.test(source) });
  const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
  checkPinnedVersions(manifest);
  manifest.dependencies.eventfold = `file:${tarball}`;
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Starts the app's Vite (`command` 'preview' serves the build, 'dev' the dev server); resolves once it answers.
 * @param {string} app
 * @param {'preview' | 'dev'} command
 * @param {number} port
 */
async function serve(app, command, port) {
  const server = spawn(process.execPath, ['node_modules/vite/bin/vite.js', command, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: app,
    env: cleanEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout.on('data', (chunk) => (output += chunk));
  server.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const url = `http://127.0.0.1:${port}/`;
  for (;;) {
    const answered = await fetch(url).then((response) => response.ok, () => false);
    if (answered) break;
    if (server.exitCode !== null) throw new Error(`vite ${command} exited:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    output: () => output,
    async close() {
      server.kill();
      await exited;
    },
  };
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
    .waitFor({ timeout: 30_000 })
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
async function driveApp(url, profile) {
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
function checkGoToDefinition(app) {
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
 * @param {number} port
 */
async function checkDevServer(app, port) {
  rmSync(join(app, 'node_modules/.vite'), { recursive: true, force: true });
  const server = await serve(app, 'dev', port);
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

async function main() {
  const scratch = mkdtempSync(join(tmpdir(), 'eventfold-package-'));
  const step = (/** @type {string} */ what) => log(`${what} (${((Date.now() - started) / 1_000).toFixed(1)} s)`);
  try {
    step('packing the repository');
    const { tarball, files } = pack(scratch);
    const app = join(scratch, 'app');
    prepareApp(app, tarball);

    step(`installing ${tarball} into ${app}`);
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
    const installed = join(app, 'node_modules/eventfold');
    const problems = tarballProblems(files, (path) => readFileSync(join(installed, path), 'utf8'));
    if (problems.length > 0) throw new Error(`the tarball is wrong:\n  ${problems.join('\n  ')}`);
    log(`the tarball's ${files.length} files are what a package needs`);

    step('packing a clone of HEAD as a git install does (prepare, then pack)');
    const fromGit = packLikeGitInstall(scratch);
    const gitProblems = tarballProblems(fromGit, (path) => readFileSync(join(scratch, 'clone', path), 'utf8'));
    if (gitProblems.length > 0) throw new Error(`a git install's package is wrong:\n  ${gitProblems.join('\n  ')}`);
    log(`a git install packs ${fromGit.length} files, built`);

    step('type-checking the app (moduleResolution bundler, nodenext, node10)');
    run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], app);
    run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.nodenext.json'], app);
    // TypeScript 7 dropped moduleResolution "node10"; TypeScript 6, which still has it, checks that one.
    run(process.execPath, ['node_modules/typescript-6/bin/tsc', '-p', 'tsconfig.node10.json'], app);
    checkGoToDefinition(app);

    step('building the app with Vite');
    run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--manifest'], app);
    const sizes = builtScriptSizes(join(app, 'dist'));
    log(`built: page script ${(sizes.page / 1_024).toFixed(1)} kB gzip (React included), worker ${(sizes.worker / 1_024).toFixed(1)} kB gzip`);

    step('running the app in Chromium');
    const port = Number(process.env.EVENTFOLD_PACKAGE_PORT) || (await freePort());
    const server = await serve(app, 'preview', port);
    try {
      await driveApp(server.url, join(scratch, 'profile'));
    } finally {
      await server.close();
    }

    step('visiting the dev server for the first time');
    await checkDevServer(app, Number(process.env.EVENTFOLD_PACKAGE_DEV_PORT) || (await freePort()));
    step('the packed eventfold installs, type-checks, builds and runs');
  } finally {
    if (process.env.EVENTFOLD_PACKAGE_KEEP) log(`kept ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`[package] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

