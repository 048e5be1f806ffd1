// The server section's workloads, each on eventfold (the runtime over the PostgreSQL journal) and on the raw
// baseline (bench/server/raw.mjs), with the same rows: deposits to the demo's bank account.
import { rawJournal, rawReplay } from './raw.mjs';

const opened = { type: 'opened', owner: 'Bench' };
const deposited = { type: 'deposited', amount: 1 };
const ids = (/** @type {number} */ accounts) => Array.from({ length: accounts }, (_, i) => `acc-${i}`);
const perSecond = (/** @type {number} */ count, /** @type {number} */ ms) => (count / ms) * 1_000;

/**
 * What eventfold is handed: the built library's `createRuntime` and `recover`, the demo's account, and a database of
 * journals (`openPostgresDatabase`).
 * @typedef {{ createRuntime: any, recover: any, account: any, database: any }} Eventfold
 */

/**
 * The appends a journal was asked for, in order: each the `[streamId, event count]` of its writes. Counted by a
 * journal that hands every call on to the real one.
 * @typedef {[string, number][][]} Shape
 */

/**
 * Runs the measured part of a workload (what is timed), for a caller that watches it (bench/server/anatomy.mjs).
 * @typedef {(work: () => Promise<void>) => Promise<void>} Observe
 */
const unobserved = /** @type {Observe} */ ((work) => work());

/**
 * A journal that is `journal`, except that it notes each `append` it is asked for while `counting` is set.
 * @param {any} journal
 */
function countingJournal(journal) {
  /** @type {Shape} */
  const appends = [];
  const state = { counting: false, appends };
  const counted = new Proxy(journal, {
    get(target, key) {
      if (key === 'append') {
        return (/** @type {{ streamId: string, events: unknown[] }[]} */ writes, /** @type {unknown} */ options) => {
          if (state.counting) appends.push(writes.map(({ streamId, events }) => [streamId, events.length]));
          return target.append(writes, options);
        };
      }
      // Bound to the journal itself: its private fields are not the proxy's.
      const value = target[key];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { journal: counted, state };
}

/**
 * P1 on eventfold: `n` deposits to one open account, each awaited before the next is sent. Commands per second.
 * @param {Eventfold} eventfold
 * @param {string} journalId a journal of its own
 * @param {number} n
 * @param {Observe} [observe]
 */
export async function eventfoldAwaited({ createRuntime, account, database }, journalId, n, observe = unobserved) {
  const journal = await database.journal(journalId);
  const runtime = createRuntime({ journal, entities: { account } });
  try {
    await runtime.send('account', 'acc-0', { type: 'open', owner: 'Bench' });
    let ms = 0;
    await observe(async () => {
      const start = performance.now();
      for (let i = 0; i < n; i++) await runtime.send('account', 'acc-0', { type: 'deposit', amount: 1 });
      ms = performance.now() - start;
    });
    return perSecond(n, ms);
  } finally {
    await runtime.close();
    await journal.close();
  }
}

/**
 * P1's baseline: the account's opening row, then `n` deposit rows, each one INSERT in a transaction of its own (the
 * shape of the journal's append: one statement, committed as it runs), awaited before the next. Rows per second.
 * @param {import('./raw.mjs').RawSql} sql
 * @param {string} schema
 * @param {string} journalId
 * @param {number} n
 * @param {Observe} [observe]
 */
export async function rawAwaited(sql, schema, journalId, n, observe = unobserved) {
  const raw = rawJournal(sql, schema, journalId);
  const streamId = 'account:acc-0';
  await raw.appendOne(streamId, opened);
  let ms = 0;
  await observe(async () => {
    const start = performance.now();
    for (let i = 0; i < n; i++) await raw.appendOne(streamId, deposited);
    ms = performance.now() - start;
  });
  return perSecond(n, ms);
}

/**
 * P2 on eventfold: `accounts` accounts opened, then `n` deposits spread over them sent at once, all awaited.
 * Commands per second, and the appends the runtime's group commit made of them (for the baseline to repeat).
 * @param {Eventfold} eventfold
 * @param {string} journalId
 * @param {number} n
 * @param {number} accounts
 * @param {Observe} [observe]
 * @returns {Promise<{ rate: number, shape: Shape }>}
 */
export async function eventfoldBurst({ createRuntime, account, database }, journalId, n, accounts, observe = unobserved) {
  const { journal, state } = countingJournal(await database.journal(journalId));
  const runtime = createRuntime({ journal, entities: { account } });
  const accountIds = ids(accounts);
  try {
    await Promise.all(accountIds.map((id) => runtime.send('account', id, { type: 'open', owner: 'Bench' })));
    let rate = 0;
    await observe(async () => {
      state.counting = true;
      const start = performance.now();
      await Promise.all(Array.from({ length: n }, (_, i) => runtime.send('account', accountIds[i % accounts], { type: 'deposit', amount: 1 })));
      rate = perSecond(n, performance.now() - start);
      state.counting = false;
    });
    const stored = state.appends.flat().reduce((sum, [, count]) => sum + count, 0);
    if (stored !== n) throw new Error(`P2: the runtime appended ${stored} events for ${n} commands`);
    return { rate, shape: state.appends };
  } finally {
    await runtime.close();
    await journal.close();
  }
}

/**
 * P2's baseline: the accounts' opening rows, then the transactions of `shape` one after another, each one INSERT of
 * its rows in a transaction of its own (the same streams, the same number of rows each, in the same order). Rows per
 * second.
 * @param {import('./raw.mjs').RawSql} sql
 * @param {string} schema
 * @param {string} journalId
 * @param {number} accounts
 * @param {Shape} shape
 * @param {Observe} [observe]
 */
export async function rawBurst(sql, schema, journalId, accounts, shape, observe = unobserved) {
  const raw = rawJournal(sql, schema, journalId);
  await raw.appendMany(ids(accounts).map((id) => [`account:${id}`, [opened]]));
  const transactions = shape.map((writes) => writes.map(([streamId, count]) => /** @type {[string, { type: string }[]]} */ ([streamId, Array(count).fill(deposited)])));
  const rows = shape.flat().reduce((sum, [, count]) => sum + count, 0);
  let ms = 0;
  await observe(async () => {
    const start = performance.now();
    for (const writes of transactions) await raw.appendMany(writes);
    ms = performance.now() - start;
  });
  return perSecond(rows, ms);
}

/**
 * Throws unless the deposits eventfold stored in the journal `journalId` and those the baseline stored under the
 * same id look alike: the same stream, sequence numbers, type, schema version, and keys of the payload and metadata.
 * Guards the comparison against drift (the runtime's envelope gaining a field the baseline does not write).
 * @param {any} database eventfold's
 * @param {import('./raw.mjs').RawSql} sql the baseline's
 * @param {string} schema
 * @param {string} journalId
 */
export async function assertSameRows(database, sql, schema, journalId) {
  const journal = await database.journal(journalId, { create: false });
  const ours = (await journal.load('account:acc-0', 1, 3)).map((/** @type {any} */ e) => ({
    sequenceNr: e.sequenceNr,
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.event,
    metadata: Object.keys(e.metadata).sort(),
  }));
  await journal.close();
  const rows = await sql.query(`SELECT * FROM "${schema}".events WHERE journal_id = $1 AND stream_id = $2 AND sequence_nr <= 3 ORDER BY sequence_nr`, [journalId, 'account:acc-0']);
  const theirs = rows.map((row) => ({
    sequenceNr: Number(row.sequence_nr),
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: Object.keys(/** @type {object} */ (row.metadata)).sort(),
  }));
  if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
    throw new Error(`the baseline's rows differ from eventfold's:\n${JSON.stringify(ours)}\n${JSON.stringify(theirs)}`);
  }
}

/**
 * Seeds the stream `account:<id>` of `journal` with `count` events (an opening, then deposits of varying amounts),
 * 10,000 per append, in the envelopes the runtime gives events, without snapshots.
 * @param {any} journal
 * @param {string} streamId
 * @param {number} count
 */
export async function seedStream(journal, streamId, count) {
  for (let from = 1; from <= count; from += 10_000) {
    const events = [];
    for (let sequenceNr = from; sequenceNr < Math.min(count + 1, from + 10_000); sequenceNr++) {
      const event = sequenceNr === 1 ? opened : { type: 'deposited', amount: 1 + (sequenceNr % 100) };
      const commandId = crypto.randomUUID();
      const metadata = { correlationId: commandId, causationId: commandId };
      events.push({ sequenceNr, event, timestamp: 1_700_000_000_000 + sequenceNr, eventId: crypto.randomUUID(), type: event.type, schemaVersion: 1, metadata });
    }
    const [outcome] = await journal.append([{ streamId, events }]);
    if (!outcome || 'error' in outcome) throw new Error(`seeding ${streamId}: ${outcome?.error}`);
  }
}

/**
 * P3 on eventfold: `repeats` full replays of the stream (no snapshot: `recover` from the first event, in the
 * runtime's pages), each checked to reach `count`. Events per second each.
 * @param {Eventfold} eventfold
 * @param {any} journal
 * @param {string} streamId
 * @param {number} count
 * @param {number} repeats
 */
export async function eventfoldReplays({ recover, account }, journal, streamId, count, repeats) {
  const rates = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const { sequenceNr, state } = await recover(journal, streamId, account);
    rates.push(perSecond(count, performance.now() - start));
    if (sequenceNr !== count || state.txCount !== count - 1) throw new Error(`P3: replayed to ${sequenceNr}, not ${count}`);
  }
  return rates;
}

/**
 * P3's baseline: `repeats` reads of the same rows, paged as the replay reads them (`pageSize` rows a SELECT).
 * Rows per second each.
 * @param {import('./raw.mjs').RawSql} sql
 * @param {string} schema
 * @param {string} journalId
 * @param {string} streamId
 * @param {number} count
 * @param {number} repeats
 * @param {number} pageSize
 */
export async function rawReplays(sql, schema, journalId, streamId, count, repeats, pageSize) {
  const rates = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const read = await rawReplay(sql, schema, journalId, streamId, pageSize);
    rates.push(perSecond(count, performance.now() - start));
    if (read !== count) throw new Error(`P3 baseline: read ${read} rows, not ${count}`);
  }
  return rates;
}
