// How driver failures become eventfold's typed errors, and which are retried.
import { ConflictError } from 'eventfold';
import { describe, expect, it } from 'vitest';
import { typedError, WRITE_ATTEMPTS, withRetries } from './sql-errors.ts';
import { CommitUnknownError } from './sql-port.ts';

const serverError = (code: string) => Object.assign(new Error(`server said ${code}`), { code });

describe('typed errors of the PostgreSQL journal', () => {
  it('keeps eventfold errors, makes a lost commit of unknown outcome, and anything else a storage error', () => {
    const conflict = new ConflictError('s', 1, 2);
    expect(typedError('append', conflict)).toBe(conflict);
    const lost = new Error('Connection terminated unexpectedly');
    expect(typedError('append', new CommitUnknownError(lost))).toMatchObject({ code: 'outcome-unknown', cause: lost });
    expect(typedError('append', lost)).toMatchObject({ code: 'storage-failed', cause: lost, message: expect.stringContaining('append') });
    expect(typedError('load', serverError('57P01'))).toMatchObject({ code: 'storage-failed' });
  });

  it('retries serialization failures and deadlocks, then succeeds', async () => {
    const failures = [serverError('40001'), serverError('40P01')];
    let calls = 0;
    const attempt = async () => {
      const failure = failures[calls++];
      if (failure) throw failure;
      return 'stored';
    };
    expect(await withRetries('append', attempt)).toBe('stored');
    expect(calls).toBe(3);
  });

  it(`gives up after ${WRITE_ATTEMPTS} attempts with a storage error, and never retries anything else`, async () => {
    let calls = 0;
    const failing = (code: string) => async () => {
      calls++;
      throw serverError(code);
    };
    await expect(withRetries('append', failing('40001'))).rejects.toMatchObject({
      code: 'storage-failed',
      cause: { code: '40001' },
    });
    expect(calls).toBe(WRITE_ATTEMPTS);
    calls = 0;
    await expect(withRetries('append', failing('23505'))).rejects.toMatchObject({ code: 'storage-failed' });
    expect(calls).toBe(1);
  });
});
