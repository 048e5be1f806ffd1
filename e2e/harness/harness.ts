// The page the reliability tests drive: the demo bank's own worker and journal, without the UI, so that thousands of
// commands can be sent and each acknowledgment reported to the test as it happens.
import { connect } from 'eventfold/client';
import type { entities } from '../../demo-app/bank/bank.worker.ts';
import { seededRandom } from '../../lib/test-support/seeded-random.ts';
import type { DatabaseContents, Harness } from './contract.ts';

const bank = connect<typeof entities>(
  () => new Worker(new URL('../../demo-app/bank/bank.worker.ts', import.meta.url), { type: 'module', name: 'eventfold-bank' }),
);

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let storageLost = false;
// Replaced by `seed` before the tests draw anything: every choice of a run follows from the seed it prints.
let random = seededRandom(0);
bank.onStorageLost(() => (storageLost = true));

const harness: Harness = {
  storageLost: () => storageLost,

  seed(seed) {
    random = seededRandom(seed);
  },

  random: () => random(),

  async open(accounts: number, retried = false): Promise<void> {
    await Promise.all(
      Array.from({ length: accounts }, (_, i) =>
        bank.send('account', `acc-${i}`, { type: 'open', owner: `Owner ${i}` }).catch(async (error: { code?: string }) => {
          // A storage failure on the first open after a crash (the browser found its data corrupt): try once more.
          if (error.code === 'storage-failed' && !retried) return void (await harness.open(accounts, true));
          if (error.code !== 'rejected') throw error;
        }),
      ),
    );
  },

  async burst(tag, count, accounts, inFlight) {
    let acknowledged = 0;
    let rejected = 0;
    let conflicts = 0;
    const ack = (window as { ack?: (commandId: string, accountId: string) => Promise<void> }).ack;
    for (let from = 0; from < count; from += inFlight) {
      const wave = [];
      for (let i = from; i < Math.min(count, from + inFlight); i++) {
        const accountId = `acc-${Math.floor(random() * accounts)}`;
        const amount = 1 + Math.floor(random() * 100);
        const command = random() < 0.6 ? { type: 'deposit' as const, amount } : { type: 'withdraw' as const, amount: amount * 2 };
        const commandId = `${tag}-${i}`;
        wave.push(
          bank.send('account', accountId, command, { commandId }).then(
            () => {
              acknowledged++;
              void ack?.(commandId, accountId);
            },
            (error: { code?: string }) => {
              // A refusal, or a race lost more often than the runtime retries: either way, not acknowledged.
              if (error.code === 'rejected') rejected++;
              else if (error.code === 'conflict') conflicts++;
              else throw error;
            },
          ),
        );
      }
      await Promise.all(wave);
    }
    return { acknowledged, rejected, conflicts };
  },

  state: (id: string) => bank.state('account', id),

  async readDatabase(): Promise<DatabaseContents> {
    const database = await request(indexedDB.open('eventfold-bank'));
    try {
      const tx = database.transaction(['events', 'snapshots', 'documents', 'checkpoints']);
      const all = (store: string) =>
        Promise.all([request(tx.objectStore(store).getAll()), request(tx.objectStore(store).getAllKeys())]);
      const [[events, eventKeys], [snapshots, snapshotKeys], [documents, documentKeys], [checkpoints, checkpointKeys]] =
        await Promise.all([all('events'), all('snapshots'), all('documents'), all('checkpoints')]);
      return {
        events: events.map((e, i) => ({
          streamId: (eventKeys[i] as [string, number])[0],
          sequenceNr: e.sequenceNr,
          event: e.event,
          position: e.position,
          causationId: e.metadata?.causationId,
        })),
        snapshots: snapshots.map((s, i) => ({ streamId: (snapshotKeys[i] as [string, number])[0], sequenceNr: s.sequenceNr, state: s.state })),
        // The served generation of each read model only: a rebuild's shadow is not what readers see.
        documents: documents.flatMap((doc, i) => {
          const [projection, generation, id] = documentKeys[i] as [string, number, string];
          const served = checkpoints.find((_, k) => checkpointKeys[k] === projection)?.generation ?? 0;
          return generation === served ? [{ projection, id, doc }] : [];
        }),
        checkpoints: checkpoints.map((c, i) => ({ projection: checkpointKeys[i] as string, position: c.position })),
      };
    } finally {
      database.close();
    }
  },
};

Object.assign(window, { harness });
document.body.dataset.ready = 'true';
