// Type-checks every TypeScript block of the README, so that no snippet drifts from the API.
//
// Each ```ts or ```tsx block becomes one or more modules: a line `// name.ts` (or `.tsx`) at the start of a line
// begins a file of that name, so that blocks import from each other as an app's files do; a block without one is a
// module of its own. The modules are written to .scratch/readme/ and compiled with the library's sources in place
// of the package (tsconfig.readme.json). A block that names a file of the fixture app (fixtures/app, which
// `npm run test:package` installs and runs) must be that file word for word. `npm run typecheck` runs it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.scratch', 'readme');

/**
 * The modules of a markdown text's TypeScript blocks, by file name.
 * @param {string} markdown
 * @returns {Map<string, string>}
 */
export function modulesOf(markdown) {
  /** @type {Map<string, string>} */
  const modules = new Map();
  const fence = /^```(ts|tsx)\n([\s\S]*?)^```$/gm;
  // A TypeScript block under another tag would be skipped silently: only ts and tsx are TypeScript here.
  const elsewise = /^```(typescript|mts|cts|js|jsx|mjs|javascript)\b/m.exec(markdown);
  if (elsewise) throw new Error(`a block is tagged ${elsewise[1]}: tag TypeScript ts or tsx, and have no JavaScript blocks`);
  const add = (/** @type {string} */ name, /** @type {string[]} */ lines) => {
    if (modules.has(name)) throw new Error(`two blocks write ${name}`);
    modules.set(name, moduleOf(lines));
  };
  let block = 0;
  for (const match of markdown.matchAll(fence)) {
    const [, language = 'ts', body = ''] = match;
    block++;
    const line = markdown.slice(0, match.index).split('\n').length + 1;
    let name = `block-${block}.${language}`;
    let lines = [`// README.md, line ${line}`];
    for (const text of body.split('\n')) {
      const file = /^\/\/ ([\w./-]+\.tsx?)$/.exec(text);
      if (file) {
        if (lines.length > 1) add(name, lines);
        name = String(file[1]);
        lines = [`// README.md, line ${line}`];
      }
      lines.push(text);
    }
    add(name, lines);
  }
  return modules;
}

/**
 * The fixture app's files that the README shows otherwise than they are, or does not show.
 * @param {Map<string, string>} modules
 * @param {string} app the fixture app's folder
 * @returns {string[]}
 */
export function driftedFromFixture(modules, app) {
  const unshown = fixtureSources(app).filter((name) => !modules.has(name));
  return [...unshown, ...[...modules].flatMap(([name, source]) => {
    const file = join(app, name);
    if (!existsSync(file)) return [];
    // The module is the block's lines between the line of its name and the `export {}` that makes it a module.
    const body = source.split('\n').slice(2, -2).join('\n');
    return body.trimEnd() === readFileSync(file, 'utf8').trimEnd() ? [] : [name];
  })];
}

/**
 * The fixture app's sources that the README shows: its Vite config and every module under src/.
 * @param {string} app
 */
function fixtureSources(app) {
  const src = join(app, 'src');
  const sources = existsSync(src) ? readdirSync(src).filter((name) => /\.tsx?$/.test(name)).map((name) => `src/${name}`) : [];
  return [...(existsSync(join(app, 'vite.config.ts')) ? ['vite.config.ts'] : []), ...sources];
}

/**
 * A file's text: its lines, made a module even without imports or exports, as in an app built by a bundler.
 * @param {string[]} lines
 */
function moduleOf(lines) {
  return `${lines.join('\n')}\nexport {};\n`;
}

/**
 * Writes the modules of `markdown` to `dir` and type-checks them (tsconfig.readme.json).
 * @param {string} markdown
 * @param {string} dir
 * @returns {{ ok: boolean, modules: number, output: string }}
 */
export function checkMarkdown(markdown, dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const modules = modulesOf(markdown);
  for (const [name, source] of modules) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), source);
  }
  const config = { extends: join(root, 'tsconfig.readme.json'), include: ['.'] };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
  try {
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', dir], { encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, modules: modules.size, output: '' };
  } catch (error) {
    return { ok: false, modules: modules.size, output: String(/** @type {{ stdout?: string }} */ (error).stdout ?? error) };
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const drifted = driftedFromFixture(modulesOf(readme), join(root, 'fixtures', 'app'));
  if (drifted.length > 0) {
    console.error(`README.md: ${drifted.join(', ')} in fixtures/app and its block differ (or it has none)`);
    process.exit(1);
  }
  const { ok, modules, output } = checkMarkdown(readme, out);
  if (!ok) {
    console.error(`${output}README.md: a TypeScript block does not compile (the modules are in ${out})`);
    process.exit(1);
  }
  console.log(`README.md: ${modules} TypeScript modules compile`);
}
