// What a published eventfold tarball must hold, and nothing else.
import { posix } from 'node:path';

/** Files a tarball may hold: the manifest, README and licence, the built library, and the sources its maps point to. */
const allowed = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^dist\/.+\.(js|js\.map|d\.ts|d\.ts\.map)$/, /^lib\/.+\.tsx?$/];
const testFiles = /(\.test\.|\.spec\.|(^|\/)test-support\/|(^|\/)__tests__\/)/;

/**
 * Every entry point a manifest declares: the targets of `exports` (every condition), `main`, `types`, and
 * `typesVersions`.
 * @param {any} manifest
 * @returns {string[]}
 */
function declaredTargets(manifest) {
  /** @type {string[]} */
  const targets = [];
  const walk = (/** @type {unknown} */ value) => {
    if (typeof value === 'string') targets.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.main);
  walk(manifest.types);
  walk(manifest.typesVersions);
  return targets.map((target) => posix.normalize(target));
}

/** Relative image paths of a README, from Markdown images and `<img src>`. */
function readmeImages(/** @type {string} */ readme) {
  const markdown = [...readme.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)/g)].map((match) => match[1] ?? '');
  const html = [...readme.matchAll(/<img\b[^>]*\bsrc=["']([^"']+)["']/gi)].map((match) => match[1] ?? '');
  return [...markdown, ...html].filter((src) => !/^[a-z][a-z\d+.-]*:/i.test(src) && !src.startsWith('//'));
}

/**
 * What is wrong with a tarball's file list (paths relative to the package root), as sentences; empty when nothing is.
 * @param {string[]} files
 * @param {(path: string) => string} read reads a file of the package
 * @returns {string[]}
 */
export function tarballProblems(files, read) {
  const present = new Set(files);
  /** @type {string[]} */
  const problems = [];
  for (const required of ['package.json', 'README.md', 'LICENSE']) {
    if (!present.has(required)) problems.push(`${required} is missing`);
  }
  for (const file of files) {
    if (testFiles.test(file)) problems.push(`${file} is a test or test support`);
    else if (!allowed.some((pattern) => pattern.test(file))) problems.push(`${file} does not belong in the package`);
  }
  if (!present.has('package.json')) return problems;

  const manifest = JSON.parse(read('package.json'));
  for (const target of declaredTargets(manifest)) {
    if (target !== 'package.json' && !present.has(target)) problems.push(`${target}, named in package.json, is not in the package`);
  }

  // Source maps and declaration maps must lead to sources that ship, and every shipped source must be one of them.
  const mapped = new Set();
  for (const file of files.filter((path) => path.startsWith('dist/') && /\.(js|d\.ts)$/.test(path))) {
    const map = `${file}.map`;
    if (!present.has(map)) {
      problems.push(`${file} has no map`);
      continue;
    }
    const { sources = [], sourceRoot = '' } = JSON.parse(read(map));
    for (const source of sources) {
      const path = posix.normalize(posix.join(posix.dirname(map), sourceRoot, source));
      mapped.add(path);
      if (!present.has(path)) problems.push(`${map} points to ${path}, which is not in the package`);
    }
  }
  for (const file of files.filter((path) => path.startsWith('lib/'))) {
    if (!mapped.has(file)) problems.push(`${file} ships, but no map points to it`);
  }
  for (const file of files.filter((path) => path.startsWith('dist/') && path.endsWith('.js'))) {
    if (!present.has(file.replace(/\.js$/, '.d.ts'))) problems.push(`${file} has no declarations`);
  }

  if (present.has('README.md')) {
    for (const image of readmeImages(read('README.md'))) {
      const path = posix.normalize(image.replace(/^\.\//, '').split(/[?#]/)[0] ?? '');
      if (!present.has(path)) problems.push(`README.md shows ${image}, which is not in the package: ship it or use an absolute URL`);
    }
  }
  return problems;
}
