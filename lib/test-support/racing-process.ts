// A second process on a PostgreSQL journal: `node racing-process.mjs <url> <journalId> <writer> <count>` sends
// `count` deposits of 1 to one account through a runtime of its own, and prints one JSON line per acknowledged
// command (its id and the sequence numbers of its events), then `done`.
import { createRuntime } from 'eventfold';
import { openPostgresJournal } from 'eventfold/postgres';
import { account } from './bank-account.ts';

declare const process: { argv: string[]; stdout: { write(text: string): void }; exitCode?: number };

const [url, journalId, writer, count] = process.argv.slice(2) as [string, string, string, string];
const journal = await openPostgresJournal({ connectionString: url, journalId, poolSize: 2 });
const runtime = createRuntime({ journal, entities: { account } });
try {
  // Half awaited one at a time, half in flight at once: both paths of the runtime race the other process.
  const total = Number(count);
  const send = async (i: number) => {
    const commandId = `${writer}-${i}`;
    const { events } = await runtime.send('account', 'shared', { type: 'deposit', amount: 1 }, { commandId });
    process.stdout.write(`${JSON.stringify({ commandId, sequenceNrs: events.map((event) => event.sequenceNr) })}\n`);
  };
  for (let i = 0; i < total / 2; i++) await send(i);
  await Promise.all(Array.from({ length: total - Math.floor(total / 2) }, (_, i) => send(Math.floor(total / 2) + i)));
  process.stdout.write('done\n');
} finally {
  await runtime.close();
  await journal.close();
}
