// Opening databases and journals: options checked before connecting, migrations (concurrent, check-only, too new),
// unknown journal ids, PGlite on disk, schemas apart, closing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { persist, randomId } from 'eventfold';
import { MAX_JOURNAL_ID_LENGTH, openPostgresDatabase, openPostgresJournal, SCHEMA_VERSION } from 'eventfold/postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, freshDatabase } from '../../tools/postgres-server.mjs';
import { numbered } from '../test-support/events.ts';

describe('openPostgresDatabase and openPostgresJournal', () => {
  let url: string;
  let drop = async () => {};
  beforeAll(async () => {
    ({ url, drop } = await freshDatabase(inject('postgresUrl'), 'eventfold_database'));
  });
  afterAll(() => drop());

  /** A fresh schema name, so that each test migrates from nothing. */
  const schema = () => `s_${randomId().replaceAll('-', '').slice(0, 12).toLowerCase()}`;
  const version = async (name: string) => {
    const client = new pg.Client(url);
    await client.connect();
    try {
      return (await client.query(`SELECT version FROM "${name}".migrations ORDER BY version`)).rows.map((row) => row.version);
    } finally {
      await client.end();
    }
  };

  it.each([
    ['a schema that is not a lowercase identifier', { schema: 'Events' }, 'schema'],
    ['a schema with a quote', { schema: 'a"b' }, 'schema'],
    ['both a server and a folder', { connectionString: 'postgres://x', dataDir: '/tmp/x' }, 'connectionString'],
    ['a pool of no connections', { poolSize: 0 }, 'poolSize'],
  ])('refuses %s before connecting', async (_, options, argument) => {
    await expect(openPostgresDatabase(options)).rejects.toMatchObject({ code: 'invalid-argument', argument });
  });

  it.each([
    ['empty', ''],
    ['too long', 'j'.repeat(MAX_JOURNAL_ID_LENGTH + 1)],
    ['holding U+0000', 'a\u0000b'],
    ['holding a lone surrogate', 'a\ud800'],
    ['not a string', 42],
  ])('refuses a journal id that is %s', async (_, journalId) => {
    await expect(openPostgresJournal({ journalId: journalId as string })).rejects.toMatchObject({ code: 'invalid-argument', argument: 'journalId' });
  });

  it('creates an unknown journal on open, or refuses it with create: false', async () => {
    const database = await openPostgresDatabase({ connectionString: url, schema: schema() });
    try {
      const id = `journal-${randomId()}`;
      await expect(database.journal(id, { create: false })).rejects.toMatchObject({ code: 'invalid-argument', argument: 'journalId' });
      const created = await database.journal(id);
      await persist(created, 's', numbered(1, 1));
      const found = await database.journal(id, { create: false });
      expect(await found.highestSequenceNr('s')).toBe(1);
      const longest = await database.journal('\u{1F600}'.repeat(MAX_JOURNAL_ID_LENGTH / 2));
      expect(await longest.highestSequenceNr('s')).toBe(0);
    } finally {
      await database.close();
    }
  });

  it('migrates once when processes open a new schema at the same time', async () => {
    const name = schema();
    const databases = await Promise.all(Array.from({ length: 4 }, () => openPostgresDatabase({ connectionString: url, schema: name })));
    await Promise.all(databases.map((database) => database.close()));
    expect(await version(name)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('only checks the version with migrate: false, refusing a schema that is missing or newer than this build', async () => {
    const name = schema();
    await expect(openPostgresDatabase({ connectionString: url, schema: name, migrate: false })).rejects.toMatchObject({
      code: 'storage-failed',
      message: expect.stringContaining('migrate: true'),
    });
    await (await openPostgresDatabase({ connectionString: url, schema: name })).close();
    const checked = await openPostgresDatabase({ connectionString: url, schema: name, migrate: false });
    await checked.close();

    const client = new pg.Client(url);
    await client.connect();
    await client.query(`INSERT INTO "${name}".migrations (version) VALUES ($1)`, [SCHEMA_VERSION + 1]);
    await client.end();
    for (const migrate of [true, false]) {
      await expect(openPostgresDatabase({ connectionString: url, schema: name, migrate })).rejects.toMatchObject({
        code: 'storage-failed',
        message: expect.stringContaining('upgrade eventfold'),
      });
    }
  });

  it('keeps the journals of two schemas apart', async () => {
    const [one, two] = await Promise.all([schema(), schema()].map((name) => openPostgresDatabase({ connectionString: url, schema: name })));
    try {
      await persist(await one!.journal('j'), 's', numbered(1, 2));
      expect(await (await two!.journal('j')).highestSequenceNr('s')).toBe(0);
    } finally {
      await Promise.all([one!.close(), two!.close()]);
    }
  });

  it('fails with a storage error when the server cannot be reached', async () => {
    const port = await freePort();
    await expect(openPostgresDatabase({ connectionString: `postgres://nobody@127.0.0.1:${port}/none` })).rejects.toMatchObject({
      code: 'storage-failed',
    });
  });

  it('closes its journals with it, and a journal of openPostgresJournal closes its database', async () => {
    const database = await openPostgresDatabase({ connectionString: url });
    const journal = await database.journal('closing');
    await database.close();
    await expect(journal.load('s')).rejects.toMatchObject({ code: 'closed' });
    await expect(database.journal('closing')).rejects.toMatchObject({ code: 'closed' });

    const own = await openPostgresJournal({ connectionString: url, journalId: 'closing' });
    await own.close();
    await expect(own.highestSequenceNr('s')).rejects.toMatchObject({ code: 'closed' });
  });

  it('keeps journals in a PGlite folder across closing and opening it again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'eventfold-pglite-'));
    try {
      const first = await openPostgresJournal({ dataDir, journalId: 'on-disk' });
      await persist(first, 's', numbered(1, 3));
      await first.close();
      const again = await openPostgresJournal({ dataDir, journalId: 'on-disk', create: false });
      expect((await again.load('s')).map((event) => event.position)).toEqual([1, 2, 3]);
      await again.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
