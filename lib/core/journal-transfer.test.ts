import { type EventJournal, exportJournal, importJournal, InMemoryJournal, type NewEvent, persist, saveSnapshot } from 'eventfold';
import { describe, expect, it } from 'vitest';

const envelope = (sequenceNr: number, event: unknown, metadata: Record<string, unknown> = {}): NewEvent => ({
  sequenceNr,
  event,
  timestamp: 1_700_000_000_000 + sequenceNr,
  eventId: `e-${sequenceNr}-${Math.random()}`,
  type: 'happened',
  schemaVersion: 1,
  metadata,
});

/** Every value a journal accepts, and ids at the edges. */
const cyclic: Record<string, unknown> = { name: 'loop' };
cyclic.self = cyclic;
const shared = new Uint8Array([1, 2, 3]);
const hostile: [string, unknown][] = [
  ['account:plain', { type: 'deposited', amount: 100 }],
  ['account:\uFFFF', new Map<unknown, unknown>([[1, 'one'], ['k', new Set([1n, -0, Number.NaN])]])],
  ['account:' + 'x'.repeat(500), { when: new Date(5), never: new Date(Number.NaN), big: 2n ** 70n, re: /a+/gi }],
  ['account:__proto__', { bytes: shared, again: shared, view: new DataView(new ArrayBuffer(4), 1, 2), floats: new Float64Array([0.5, -0]) }],
  ['account:$', cyclic],
  ['x', [1, , 3, undefined, { $: 'not a tag' }]],
];

async function seeded(): Promise<InMemoryJournal> {
  const journal = new InMemoryJournal();
  // Interleaved streams, so that the global order matters.
  for (let round = 1; round <= 3; round++) {
    for (const [streamId, value] of hostile) await persist(journal, streamId, [envelope(round, value, { round, at: new Date(round) })]);
  }
  await saveSnapshot(journal, 'account:plain', { sequenceNr: 2, state: { total: new Map([['a', 1n]]) }, timestamp: 9, schemaVersion: 2 });
  await saveSnapshot(journal, 'account:$', { sequenceNr: 3, state: cyclic, timestamp: 10 });
  return journal;
}

async function text(journal: EventJournal, options?: Parameters<typeof exportJournal>[1]): Promise<string> {
  let out = '';
  for await (const chunk of exportJournal(journal, options)) out += chunk;
  return out;
}

/** The file in chunks of `size` characters, cut anywhere, as a stream of bytes decodes into. */
const source = (file: string, size = 37) => async function* () {
  for (let i = 0; i < file.length; i += size) yield file.slice(i, i + size);
};

async function everything(journal: EventJournal) {
  const events = await journal.loadAfter(0, 1_000_000);
  const snapshots = [];
  for (const streamId of await journal.streamIds()) {
    for (const sequenceNr of await journal.listSnapshots(streamId)) snapshots.push({ streamId, ...(await journal.loadSnapshot(streamId, sequenceNr)) });
  }
  return { events, snapshots };
}

describe('exportJournal and importJournal', () => {
  it('carry every event and snapshot, in order, with every value a journal accepts', async () => {
    const original = await seeded();
    const file = await text(original);
    expect(file.split('\n').at(-1)).toBe('');
    const copy = new InMemoryJournal();
    const progress: number[] = [];
    const summary = await importJournal(copy, source(file), { batchSize: 4, onProgress: ({ events }) => progress.push(events) });
    expect(summary).toEqual({ streams: hostile.length, events: hostile.length * 3, snapshots: 2 });
    expect(progress.at(-1)).toBe(hostile.length * 3);
    expect(progress.length).toBeGreaterThan(2);
    const [before, after] = [await everything(original), await everything(copy)];
    expect(after).toEqual(before);
    // Structured clones, sharing kept: a cycle is a cycle, one buffer is one buffer.
    const loop = after.events.find((e) => e.streamId === 'account:$')!.event as Record<string, unknown>;
    expect(loop.self).toBe(loop);
    const views = after.events.find((e) => e.streamId === 'account:__proto__')!.event as { bytes: Uint8Array; again: Uint8Array };
    expect(views.again).toBe(views.bytes);
  });

  it('exports only the streams asked for', async () => {
    const file = await text(await seeded(), { streamIds: ['account:plain', 'x'] });
    const copy = new InMemoryJournal();
    expect(await importJournal(copy, source(file))).toEqual({ streams: 2, events: 6, snapshots: 1 });
    expect(await copy.streamIds()).toEqual(['account:plain', 'x']);
  });

  it('refuses a journal that holds events, and stores nothing', async () => {
    const file = await text(await seeded());
    const busy = new InMemoryJournal();
    await persist(busy, 'other', [envelope(1, 1)]);
    await expect(importJournal(busy, source(file))).rejects.toMatchObject({ code: 'invalid-import', line: 0, reason: expect.stringMatching(/already holds events/) });
    expect(await busy.streamIds()).toEqual(['other']);
  });

  const lines = async () => (await text(await seeded())).split('\n').slice(0, -1);
  const join = (parts: string[]) => `${parts.join('\n')}\n`;
  const damaged: [string, (parts: string[]) => string, number, RegExp][] = [
    ['an empty file', () => '', 0, /empty/],
    ['a foreign file', () => 'id,amount\n1,100\n', 1, /not JSON: this is not an eventfold journal export/],
    ['foreign JSON', () => '{"hello":"world"}\n', 1, /not the header/],
    ['a newer format version', (p) => join([p[0]!.replace('"version":1', '"version":2'), ...p.slice(1)]), 1, /format version 2, newer than this build reads \(1\)/],
    ['a file cut short', (p) => join(p.slice(0, 5)), 5, /cut short/],
    ['a file cut in the middle of a line', (p) => join(p).slice(0, join(p.slice(0, 4)).length + 20), 5, /not JSON \(the file is damaged\)/],
    ['a missing event', (p) => join([...p.slice(0, 3), ...p.slice(4)]), 3 + hostile.length, /has event 2 of stream .* where 1 continues it/],
    ['a repeated event', (p) => join([...p.slice(0, 3), p[2]!, ...p.slice(3)]), 4, /has event 1 of stream .* where 2 continues it/],
    ['an edited line that still parses', (p) => join(p.map((line, i) => (i === 1 ? line.replace('"amount":100', '"amount":900') : line))), 0, /was changed/],
    ['an event without its envelope', (p) => join(p.map((line, i) => (i === 2 ? line.replace(/"eventId":"[^"]*",/, '') : line))), 3, /the journal would refuse: .*eventId/],
    ['a bad stream id', (p) => join(p.map((line, i) => (i === 1 ? line.replace('"streamId":"account:plain"', '"streamId":""') : line))), 2, /stream id the journal would refuse/],
    ['a value that cannot be read back', (p) => join(p.map((line, i) => (i === 1 ? line.replace('"data":{', '"data":{"$":"Nonsense",') : line))), 2, /data that cannot be read back/],
    ['a line after the end', (p) => join([...p, p[1]!]), 0, /follows the last line/],
  ];
  for (const [what, damage, line, reason] of damaged) {
    it(`refuses ${what}, saying where, and stores nothing`, async () => {
      const file = damage(await lines());
      const copy = new InMemoryJournal();
      const error = await importJournal(copy, source(file)).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'invalid-import', name: 'InvalidImportError', reason: expect.stringMatching(reason) });
      // Line 0 stands for "the last line" in this table: the end line's number depends on the file.
      const expected = line === 0 && what !== 'an empty file' ? file.split('\n').length - 1 : line;
      expect((error as { line: number }).line).toBe(expected);
      expect(await copy.streamIds()).toEqual([]);
    });
  }
});
