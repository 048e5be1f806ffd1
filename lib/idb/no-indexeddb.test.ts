import { isEventfoldError, UnsupportedError } from 'eventfold';
import { deleteIndexedDbJournal, openIndexedDbJournal } from 'eventfold/idb';
import { describe, expect, it } from 'vitest';

describe('the IndexedDB journal where there is no IndexedDB (Node without a polyfill)', () => {
  it('refuses to open with an UnsupportedError that says what is missing and what to test with instead', async () => {
    expect('indexedDB' in globalThis).toBe(false);
    const error = await openIndexedDbJournal('bank').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(isEventfoldError(error, 'unsupported') && error.missing).toBe('IndexedDB');
    expect(String(error)).toMatch(/^UnsupportedError: IndexedDB is not available here/);
    expect((error as Error).message).toContain('new InMemoryJournal()');
    expect((error as Error).message).toContain('factory');
  });

  it('refuses to delete a journal the same way', async () => {
    await expect(deleteIndexedDbJournal('bank')).rejects.toMatchObject({ code: 'unsupported', missing: 'IndexedDB' });
  });

});
