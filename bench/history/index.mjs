// The history section of `npm run bench` (alone: `npm run bench -- --history`): time travel from the page over the
// journal's default snapshot retention in histories of 100,000 (B3) and a million events (B8), many tabs at speed
// (B7), the demo scrubbed across a million events (B9), and export and import of a million events (B10).
import { randomUUID } from 'node:crypto';
import { workerSessions } from '../cdp.mjs';
import { percentile } from '../report.mjs';
import { scrubRows } from './scrub.mjs';

/** The sizes of a full and of a quick run. */
export const historySizes = {
  full: { long: 100_000, events: 1_000_000, seeks: 1_000, tabWrites: 500, asleep: 20_000, scrubbed: /** @type {const} */ (1_000_000) },
  quick: { long: 10_000, events: 30_000, seeks: 100, tabWrites: 50, asleep: 2_000, scrubbed: /** @type {const} */ (10_000) },
};

/**
 * B7: two tabs of one browser on one database. The writer tab sends deposits one at a time; the reader tab's
 * subscription hears each through its own worker (the workers tell each other over a BroadcastChannel, the reader's
 * catches up from IndexedDB). Then the reader tab is put to sleep as the browser freezes a background tab: its page
 * and its worker stop running (paused by the DevTools protocol, since headless Chromium does not freeze a visible
 * page), the notices sent to them wait; the writer writes a burst, and the reader is woken: how fast it catches up.
 * @param {{ context: import('playwright').BrowserContext, url: string, sizes: { tabWrites: number, asleep: number }, log: (message: string) => void }} options
 */
async function tabRows({ context, url, sizes, log }) {
  const name = `bench-tabs-${randomUUID()}`;
  const open = async () => {
    const page = await context.newPage();
    page.on('pageerror', (error) => log(`page error: ${error.message}`));
    await page.goto(url);
    await page.waitForFunction(() => 'bench' in window);
    return page;
  };
  /** @returns {Promise<any>} */
  const callIn = (/** @type {import('playwright').Page} */ page, /** @type {string} */ scenario, /** @type {unknown[]} */ ...values) =>
    page.evaluate(({ scenario, values }) => /** @type {any} */ (window).bench[scenario](...values), { scenario, values });
  const writer = await open();
  const reader = await open();
  const readerWorkers = await workerSessions(context, reader);
  try {
    await callIn(writer, 'tabOpen', name, 'writer', true);
    await callIn(reader, 'tabOpen', name, 'reader', false);
    log(`${sizes.tabWrites} deposits in one tab, heard in another`);
    /** @type {{ sequenceNr: number, sent: number, durable: number }[]} */
    const writes = await callIn(writer, 'tabWrite', sizes.tabWrites, 10);
    /** @type {number[]} */
    const heard = await callIn(reader, 'tabHeard', writes[0]?.sequenceNr, writes.at(-1)?.sequenceNr);
    const fromDurable = writes.map((write, i) => (heard[i] ?? Number.NaN) - write.durable);
    const fromSent = writes.map((write, i) => (heard[i] ?? Number.NaN) - write.sent);

    log(`the reader tab asleep while the writer writes ${sizes.asleep.toLocaleString('en-US')} deposits, then woken`);
    // A pause takes effect when the target next runs script: at once for the page, at the first notice for its
    // worker. Waking resumes a target that paused, and disabling the debugger drops a pause that never took effect.
    /** @type {((method: string) => Promise<unknown>)[]} */
    const targets = [(method) => readerWorkers.page.send(/** @type {any} */ (method)), (method) => readerWorkers.send('#reader', method)];
    for (const send of targets) {
      await send('Debugger.enable');
      await send('Debugger.pause');
    }
    const head = await callIn(writer, 'tabBurst', sizes.asleep, 500);
    const woken = await callIn(writer, 'tabNow');
    for (const send of targets) {
      await send('Debugger.resume').catch(() => {});
      await send('Debugger.disable');
    }
    /** @type {number[]} */
    const caughtUp = await callIn(reader, 'tabHeard', head - sizes.asleep + 1, head);
    const lastNotice = await callIn(reader, 'tabLastNotice', name, 'reader');
    const elapsed = Math.max(...caughtUp) - woken;
    const rate = (sizes.asleep / elapsed) * 1_000;
    const workerFrozen = lastNotice > woken;
    await callIn(writer, 'tabClose');
    await callIn(reader, 'tabClose');
    /** @type {import('../report.mjs').Row[]} */
    const rows = [
      {
        id: 'B7',
        what: "an event written in one tab, in another tab's subscription, p95 (from durable)",
        value: percentile(fromDurable, 95),
        unit: 'ms',
        better: 'lower',
        goal: { kind: 'max', value: 20 },
        note: `p50 ${percentile(fromDurable, 50).toFixed(2)} ms, p99 ${percentile(fromDurable, 99).toFixed(2)} ms from the writer's acknowledgement (durable, strict) to the reader's subscription; from the writer's send: p50 ${percentile(fromSent, 50).toFixed(2)} ms, p95 ${percentile(fromSent, 95).toFixed(2)} ms; ${writes.length} deposits sent one at a time, 10 ms apart`,
      },
      {
        id: 'B7',
        what: `a tab asleep while another wrote ${sizes.asleep.toLocaleString('en-US')} events catches up (woken to the head in its subscription)`,
        value: rate,
        unit: 'events/s',
        better: 'higher',
        goal: { kind: 'min', value: 5_000 },
        note: `${elapsed.toFixed(0)} ms from waking to the last event in the reader's subscription; ${workerFrozen ? "the reader's worker slept with its page and heard the writer's notices once woken" : "the reader's worker did not sleep: it had heard the writer's notices before its page woke"}`,
      },
    ];
    return { rows, samples: { 'B7-latency': fromDurable, 'B7-catch-up': [rate] } };
  } finally {
    await writer.close();
    await reader.close();
  }
}

/**
 * @param {{ root: string, quick: boolean, log: (message: string) => void, call: (name: string, ...params: unknown[]) => Promise<any>, context: import('playwright').BrowserContext, url: string }} options
 * @returns {Promise<{ rows: import('../report.mjs').Row[], samples: Record<string, number[]> }>}
 */
export async function historySection({ root, quick, log, call, context, url }) {
  const sizes = quick ? historySizes.quick : historySizes.full;
  const tabs = await tabRows({ context, url, sizes, log });
  const scrub = await scrubRows({ root, context, events: sizes.scrubbed, log });
  const long = sizes.long.toLocaleString('en-US');
  log(`seeding an account of ${long} events, a snapshot every 100`);
  const shallow = await call('seedAccount', sizes.long, 100);
  const b3 = (await call('seeks', shallow, sizes.long, sizes.seeks)).times;
  await call('dropDatabase', shallow);
  const events = sizes.events.toLocaleString('en-US');
  log(`seeding an account of ${events} events, a snapshot every 100, the journal's default retention`);
  const deep = await call('seedAccount', sizes.events, 100);
  log(`${sizes.seeks} seeks to random positions of it, from the page`);
  const { times, snapshots } = await call('seeks', deep, sizes.events, sizes.seeks);
  const anatomy = await call('seekAnatomy', deep, Math.min(200, sizes.seeks));
  const pair = (/** @type {string} */ part) => `${anatomy[part].toFixed(2)} / ${anatomy[`${part}P95`].toFixed(2)}`;
  log(`exporting the ${events} events and importing them into a fresh database, each next to raw IndexedDB`);
  /** @type {{ exported: number, rawExported: number, imported: number, rawImported: number, events: number, bytes: number, snapshots: number, importedEvents: number, equal: boolean }} */
  const moved = await call('transfer', deep);
  await call('dropDatabase', deep);
  /** @type {number[]} */
  const gaps = snapshots.slice(1).map((/** @type {number} */ s, /** @type {number} */ i) => s - snapshots[i]);
  /** @type {import('../report.mjs').Row[]} */
  const rows = [
    { id: 'B3', what: `time-travel seek from the page, ${long} events, p95`, value: percentile(b3, 95), unit: 'ms', better: 'lower', goal: { kind: 'max', value: 16 }, note: `seek p50 ${percentile(b3, 50).toFixed(2)} ms over ${b3.length} seeks to random positions` },
    ...tabs.rows,
    ...scrub.rows,
    {
      id: 'B8',
      what: `time-travel seek from the page, ${events} events, p95`,
      value: percentile(times, 95),
      unit: 'ms',
      better: 'lower',
      goal: { kind: 'max', value: 16 },
      note: `seek p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms over ${times.length} seeks to random positions; ${snapshots.length} snapshots kept (of ${sizes.events / 100} taken, the default bound of 2,000 thinned to even spacing), ${Math.min(...gaps)}–${Math.max(...gaps)} events apart; inside the worker (p50 / p95 of ${Math.min(200, sizes.seeks)} seeks): recover ${pair('recover')} ms for ${anatomy.events} / ${anatomy.eventsP95} events, of which the snapshot ${pair('snapshot')} ms, the journal's read ${pair('load')} ms (a raw getAll of the same range ${pair('rawGetAll')} ms), the fold ${pair('fold')} ms`,
    },
  ];
  const perSecond = (/** @type {number} */ ms) => (moved.events / ms) * 1_000;
  rows.push(
    { id: 'B10', what: `export of ${events} events (the NDJSON file, into a Blob)`, value: perSecond(moved.exported), unit: 'events/s', baseline: perSecond(moved.rawExported), baselineName: 'raw getAll', better: 'higher', note: `${(moved.bytes / 2 ** 20).toFixed(0)} MB, ${moved.snapshots} snapshots; ${(moved.exported / 1_000).toFixed(1)} s against ${(moved.rawExported / 1_000).toFixed(1)} s for raw getAll pages of 5,000 by position (no encoding)` },
    { id: 'B10', what: `import of ${events} events into a fresh database (checked whole, then stored)`, value: perSecond(moved.imported), unit: 'events/s', baseline: perSecond(moved.rawImported), baselineName: 'raw batched puts', better: 'higher', note: `${(moved.imported / 1_000).toFixed(1)} s against ${(moved.rawImported / 1_000).toFixed(1)} s for raw puts of the same records, 10,000 to a transaction, relaxed, as the journal is here; the copy ${moved.equal && moved.importedEvents === moved.events ? 'equals' : 'DIFFERS FROM'} the original, event for event (positions included) and snapshot for snapshot` },
  );
  if (!moved.equal || moved.importedEvents !== moved.events) throw new Error('B10: the imported journal differs from the exported one');
  return { rows, samples: { ...tabs.samples, ...scrub.samples, B3: b3, B8: times } };
}
