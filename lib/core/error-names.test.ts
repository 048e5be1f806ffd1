/// <reference types="node" />
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rolldown } from 'rolldown';
import { afterAll, describe, expect, it } from 'vitest';

const errorsModule = fileURLToPath(new URL('./errors.ts', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'eventfold-error-names-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** One error of each class, built in an app bundled and minified as a production build does, then read back. */
async function minifiedErrors(): Promise<{ name: string; text: string; restored: string }[]> {
  const entry = join(outDir, 'entry.js');
  writeFileSync(
    entry,
    `import * as e from ${JSON.stringify(errorsModule)};
     const cause = new Error('boom');
     const made = [
       new e.ConflictError('account:a', 1, 2),
       new e.RejectedError('account:a', 'insufficient funds'),
       new e.InvalidArgumentError('bad id', 'id'),
       new e.NotCloneableError('events[0]', 'function'),
       new e.HandlerError('account:a', 'decide', cause),
       new e.InvalidSnapshotError('account:a', 9, 3),
       new e.StorageError('persist', cause),
       new e.DatabaseBlockedError('bank', 1, 2),
       new e.ClosedError('The journal'),
       new e.WorkerLostError('terminated'),
       new e.OutcomeUnknownError('no answer'),
       new e.StreamTooLongError('account:a', 10, 5),
       new e.IdempotencyKeyReusedError('account:a', 'k'),
       new e.InvalidSchemaError('account', 'a gap'),
       new e.UnknownEventTypeError('account:a', 'refunded', 1, 2, 'is unknown'),
       new e.ProjectionRebuildingError('summaries', 1, 2),
       new e.CorruptedDataError('account:a', 3, 'missing'),
       new e.UnsupportedError("IndexedDB", "use the in-memory journal"),
       new e.SyncError('forbidden', 'this token does not open this journal', { status: 403, retryable: false }),
       new e.InvalidImportError(3, 'is not JSON'),
     ];
     // As the page rebuilds an error sent by a worker: from its structured-cloned fields.
     export const errors = made.map((error) => ({
       name: error.name,
       text: String(error),
       restored: String(e.restoreError(structuredClone({ ...error, message: error.message }))),
     }));`,
  );
  const built = await rolldown({ input: entry, logLevel: 'silent' });
  const file = join(outDir, 'bundle.js');
  await built.write({ file, format: 'es', minify: true });
  return ((await import(pathToFileURL(file).href)) as { errors: { name: string; text: string; restored: string }[] }).errors;
}

describe('error names in a minified app', () => {
  it('keep each class name, so that String(error) reads "RejectedError: …" in production, on both sides of a worker', async () => {
    const errors = await minifiedErrors();
    expect(errors.map(({ name }) => name)).toEqual([
      'ConflictError',
      'RejectedError',
      'InvalidArgumentError',
      'NotCloneableError',
      'HandlerError',
      'InvalidSnapshotError',
      'StorageError',
      'DatabaseBlockedError',
      'ClosedError',
      'WorkerLostError',
      'OutcomeUnknownError',
      'StreamTooLongError',
      'IdempotencyKeyReusedError',
      'InvalidSchemaError',
      'UnknownEventTypeError',
      'ProjectionRebuildingError',
      'CorruptedDataError',
      'UnsupportedError',
      'SyncError',
      'InvalidImportError',
    ]);
    for (const { name, text, restored } of errors) {
      expect(name).toMatch(/^[A-Z][A-Za-z]+Error$/);
      expect(text.startsWith(`${name}: `)).toBe(true);
      expect(restored).toBe(text);
    }
    expect(errors[1]!.text).toBe('RejectedError: Command rejected by account "a": insufficient funds');
  });
});
