// npm run test:package
// Does what a new user does with eventfold: packs the repository (`npm pack`, which builds dist/), checks what the
// tarball holds, installs it into a copy of the fixture app (fixtures/app) outside the repository, type-checks the
// app under moduleResolution "bundler", "nodenext" and the legacy "node10", builds it with Vite, serves the build and
// drives it in Chromium: a command, a rejected command, a reload that keeps the state; then visits its dev server
// once, which must not reload the page. It also packs a clone of HEAD as a git install does.
// EVENTFOLD_PACKAGE_PORT and EVENTFOLD_PACKAGE_DEV_PORT set the preview and dev server ports (default: free ones);
// EVENTFOLD_PACKAGE_KEEP=1 keeps the scratch directory.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtScriptSizes } from './built-sizes.mjs';
import { checkDevServer, checkGoToDefinition, driveApp, serve } from './fixture-app-checks.mjs';
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
    // A bound for a step that hangs (a stalled install, say), not a measure of how fast it runs.
    return execFileSync(command, args, { cwd, env: cleanEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60_000 });
  } catch (error) {
    const failed = /** @type {{ stdout?: string, stderr?: string }} */ (error);
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
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

/**
 * The repository's type tests (types-test/: what must compile and what must not) against the installed package's
 * declarations, which the app's users get, under both of the app's module resolutions.
 * @param {string} app
 */
function checkTypeTests(app) {
  cpSync(join(root, 'types-test'), join(app, 'types-test'), { recursive: true });
  for (const base of ['tsconfig.json', 'tsconfig.nodenext.json']) {
    const config = join(app, `types-test.${base}`);
    writeFileSync(config, JSON.stringify({ extends: `./${base}`, include: ['types-test'] }));
    run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', config], app);
  }
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

async function main() {
  const scratch = mkdtempSync(join(tmpdir(), 'eventfold-package-'));
  // A cancelled run (CI's timeout, Ctrl-C) leaves no installed app or browser profile behind.
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.once(signal, () => {
      rmSync(scratch, { recursive: true, force: true });
      process.exit(130);
    });
  }
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

    step('type-checking the type tests against the packed declarations (bundler, nodenext)');
    checkTypeTests(app);

    step('building the app with Vite');
    run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--manifest'], app);
    const sizes = builtScriptSizes(join(app, 'dist'));
    log(`built: page script ${(sizes.page / 1_024).toFixed(1)} kB gzip (React included), worker ${(sizes.worker / 1_024).toFixed(1)} kB gzip`);

    step('running the app in Chromium');
    const server = await serve(app, 'preview', Number(process.env.EVENTFOLD_PACKAGE_PORT) || undefined, cleanEnv);
    try {
      await driveApp(server.url, join(scratch, 'profile'));
    } finally {
      await server.close();
    }

    step('visiting the dev server for the first time');
    await checkDevServer(app, Number(process.env.EVENTFOLD_PACKAGE_DEV_PORT) || undefined, cleanEnv);
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

