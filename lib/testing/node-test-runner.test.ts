/// <reference types="node" />
import type { test as playwrightTest } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as NodeTest from 'node:test';
import { fileURLToPath } from 'node:url';
import { InMemoryJournal } from 'eventfold';
import { describeJournalContract, type TestRunner } from 'eventfold/testing';
import { rolldown } from 'rolldown';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectCases } from '../test-support/collected-cases.ts';

// The contract suites run under node:test itself, not a shim of it: the library's sources are bundled (rolldown, a
// dev dependency already, as Node 20 cannot run TypeScript) next to a plain .mjs test file that imports node:test,
// and `node --test` runs it in a child process, as a third party's CI would.

const source = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'eventfold-node-test-'));
  const bundle = await rolldown({
    input: { eventfold: source('index.ts'), testing: source('testing/index.ts'), gapped: source('test-support/gapped-journal.ts') },
    logLevel: 'warn',
  });
  await bundle.write({ dir: scratch, format: 'es', entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs' });
  await bundle.close();
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Writes a node:test file that runs `body` (which may use the journals and the suite), and runs it with `node --test`. */
async function nodeTest(name: string, body: string): Promise<{ code: number | null; tap: string }> {
  const file = join(scratch, `${name}.test.mjs`);
  writeFileSync(
    file,
    [
      "import { afterEach, describe, it } from 'node:test';",
      "import { InMemoryJournal } from './eventfold.mjs';",
      "import { GappedJournal } from './gapped.mjs';",
      "import { describeJournalContract } from './testing.mjs';",
      'const runner = { describe, it, afterEach };',
      body,
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
  let tap = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (tap += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (tap += chunk));
  const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
  return { code, tap };
}

/** A count from the closing lines of a TAP report: `# pass 70`. */
function count(tap: string, what: 'pass' | 'fail' | 'tests'): number {
  const found = new RegExp(`^# ${what} (\\d+)$`, 'm').exec(tap);
  if (!found) throw new Error(`no "# ${what}" line in the report:\n${tap}`);
  return Number(found[1]);
}

describe('the journal contract under node:test', () => {
  const cases = collectCases((runner) => describeJournalContract('InMemoryJournal', { open: async () => new InMemoryJournal() }, runner)).length;

  it('passes every case on the in-memory journal and on one whose positions have gaps', async () => {
    const { code, tap } = await nodeTest(
      'contract',
      [
        "describeJournalContract('InMemoryJournal', { open: async (options) => new InMemoryJournal(options) }, runner);",
        "describeJournalContract('GappedJournal', { open: async (options) => new GappedJournal(new InMemoryJournal(options)) }, runner);",
      ].join('\n'),
    );
    expect({ code, pass: count(tap, 'pass'), fail: count(tap, 'fail') }, tap).toEqual({ code: 0, pass: 2 * cases, fail: 0 });
  }, 120_000);

  it('fails the cases a broken journal breaks, with messages that say what was expected and what came', async () => {
    const { code, tap } = await nodeTest(
      'broken',
      [
        '// Lists its streams in the wrong order.',
        'class Unsorted extends InMemoryJournal { async streamIds(prefix) { return (await super.streamIds(prefix)).reverse(); } }',
        "describeJournalContract('Unsorted', { open: async (options) => new Unsorted(options) }, runner);",
      ].join('\n'),
    );
    expect(code, tap).toBe(1);
    expect(count(tap, 'fail'), tap).toBe(3);
    expect(count(tap, 'pass'), tap).toBe(cases - 3);
    expect(tap).toMatch(/not ok \d+ - lists the entities that have events, by prefix/);
    expect(tap).toContain('Expected streamIds() to equal ["account:a", "account:b", "accounts", "counter:a"], but got ["counter:a", "accounts", "account:b", "account:a"]');
  }, 120_000);
});

// The runners' functions fit `TestRunner`, which the compiler checks: Vitest's, node:test's and Playwright's. (Jest's
// `@jest/globals` and Mocha's globals, not installed here, take the same `(name, fn, timeout?)` shape as Vitest's.)
type Fits<T extends TestRunner> = T;
type Playwright = typeof playwrightTest;
export type RunnerShapes = [
  Fits<{ describe: typeof describe; it: typeof it; afterEach: typeof afterEach }>,
  Fits<{ describe: typeof NodeTest.describe; it: typeof NodeTest.it; afterEach: typeof NodeTest.afterEach }>,
  Fits<{ describe: Playwright['describe']; it: Playwright; afterEach: Playwright['afterEach'] }>,
];
