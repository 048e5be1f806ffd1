import { persist } from '../../core/journal-functions.ts';
import type { EventJournal } from '../../core/journal.ts';
import { assertEqual, assertIncreasing, assertMatches, assertThat } from './assertions.ts';
import { envelope, numbered, positionsOf, record } from './fixtures.ts';
import type { Contract, JournalFactory, TestRunner } from './runner.ts';
import { contractOf } from './runner.ts';

/**
 * What two handles on one journal promise each other: two tabs of one browser profile on a `local` journal, two
 * processes on a `centralized` one. A `centralized` journal is shared by every process that opens it, so its
 * factory must give `openSecond`; without it these cases are left out for a `local` journal (one in memory has no
 * second handle) and fail for a `centralized` one.
 */
export function describeSharingContract(name: string, factory: JournalFactory, runner: TestRunner): void {
  runner.describe(`${name} (sharing contract)`, () => sharingCases(contractOf(factory, runner), factory));
}

/** The cases of `describeSharingContract`, inside a suite already set up. */
export function sharingCases({ open, track, describe, it }: Contract, factory: JournalFactory): void {
  describe('two handles on one journal', () => {
    const pair = async (): Promise<[EventJournal, EventJournal] | undefined> => {
      const first = await open();
      if (!factory.openSecond) {
        assertThat(first.kind !== 'centralized', 'a centralized journal', 'a factory with openSecond (every process shares it)', 'none');
        return undefined;
      }
      return [first, track(await factory.openSecond(first))];
    };

    it('reads through one handle what the other wrote, at once', async () => {
      const journals = await pair();
      if (!journals) return;
      const [a, b] = journals;
      const snapshot = { sequenceNr: 2, state: { n: 2 }, timestamp: 1 };
      await a.append([{ streamId: 's', events: numbered(1, 2), snapshot, idempotency: [record('s', 'k', 1, 2)] }]);
      const position = (await a.loadAfter(0, 1))[0]?.position;
      assertEqual(await b.highestSequenceNr('s'), 2, "the other handle's highestSequenceNr('s')");
      assertEqual(positionsOf(await b.load('s')).length, 2, "the number of events of the other handle's load('s')");
      assertEqual((await b.loadAfter(0, 10))[0]?.position, position, "the first position of the other handle's loadAfter(0)");
      assertMatches(await b.loadSnapshot('s'), { sequenceNr: 2, state: { n: 2 } }, "the other handle's loadSnapshot('s')");
      assertMatches(await b.findIdempotencyRecord('s', 'k'), { key: 'k', toSequenceNr: 2 }, "the other handle's findIdempotencyRecord('s', 'k')");
      assertEqual(await b.streamIds(), ['s'], "the other handle's streamIds()");
    });

    it('lets exactly one handle win each race for a sequence number, and keeps the stream contiguous', async () => {
      const journals = await pair();
      if (!journals) return;
      let wins = 0;
      for (let sequenceNr = 1; sequenceNr <= 20; sequenceNr++) {
        const outcomes = await Promise.allSettled(journals.map((journal, i) => persist(journal, 'race', [envelope(sequenceNr, { writer: i })])));
        const stored = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
        assertEqual(stored, 1, `the number of handles that stored sequence number ${sequenceNr}`);
        wins += stored;
      }
      const [a, b] = journals;
      for (const journal of [a, b]) {
        assertEqual((await journal.load('race')).map((event) => event.sequenceNr), Array.from({ length: wins }, (_, i) => i + 1), "load('race')");
      }
    });

    it('gives a follower every event exactly once while both handles append, in commit order', async () => {
      const journals = await pair();
      if (!journals) return;
      const [a, b] = journals;
      const perHandle = 40;
      let writing = true;
      const seen: { streamId: string; sequenceNr: number; position: number }[] = [];
      // The follower pages through the log while the writes commit, resuming after the last position it saw: a
      // position handed out before an earlier one committed would be skipped here.
      const follower = (async () => {
        let after = 0;
        for (;;) {
          const done = !writing;
          const page = await b.loadAfter(after, 7);
          for (const event of page) seen.push({ streamId: event.streamId, sequenceNr: event.sequenceNr, position: event.position });
          after = page.at(-1)?.position ?? after;
          if (done && page.length === 0) return;
        }
      })();
      await Promise.all(
        [a, b].map(async (journal, writer) => {
          for (let i = 0; i < perHandle; i++) await persist(journal, `w${writer}-${i % 4}`, [envelope(Math.floor(i / 4) + 1, { writer, i })]);
        }),
      );
      writing = false;
      await follower;
      assertIncreasing(seen.map((event) => event.position), 'the positions the follower saw');
      assertEqual(seen.length, 2 * perHandle, 'the number of events the follower saw');
      const all = await a.loadAfter(0, 1_000);
      assertEqual(
        seen.map((event) => [event.streamId, event.sequenceNr, event.position]),
        all.map((event) => [event.streamId, event.sequenceNr, event.position]),
        'the events the follower saw, against the whole log read afterwards',
      );
    });
  });
}
