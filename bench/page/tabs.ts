// The many-tabs rows' workloads (B7), run in two pages of one browser: a writer tab sends deposits, a reader tab's
// subscription hears them through its own worker. Times are `performance.timeOrigin + performance.now()`, a clock
// the tabs of one browser share.
import { type Client, connect } from 'eventfold/client';
import type { entities } from './tab.worker.ts';

const now = () => performance.timeOrigin + performance.now();
const tabWorker = (database: string, role: string) =>
  new Worker(new URL('./tab.worker.ts', import.meta.url), { type: 'module', name: `${database}#${role}` });

let tab: { client: Client<typeof entities>; heard: Map<number, number>; stop: () => void; worker: Worker } | undefined;

/**
 * Opens this tab's worker (`role` names it) on database `name` and opens the account, when `open`; resolves with the
 * account's sequence number.
 */
export async function tabOpen(name: string, role: string, open: boolean): Promise<number> {
  const worker = tabWorker(name, role);
  const client = connect<typeof entities>(worker);
  if (open) await client.send('account', 'shared', { type: 'open', owner: 'Bench' });
  const heard = new Map<number, number>();
  const first = await client.state('account', 'shared');
  const stop = client.subscribe('account', 'shared', ({ events }) => {
    const at = now();
    for (const { sequenceNr } of events) if (!heard.has(sequenceNr)) heard.set(sequenceNr, at);
  });
  tab = { client, heard, stop, worker };
  return first.sequenceNr;
}

/**
 * Sends `n` deposits, each awaited before the next, `pauseMs` apart; returns when each was sent and when it was
 * durable, by sequence number.
 */
export async function tabWrite(n: number, pauseMs: number): Promise<{ sequenceNr: number; sent: number; durable: number }[]> {
  const result = [];
  for (let i = 0; i < n; i++) {
    const sent = now();
    const { sequenceNr } = await tab!.client.send('account', 'shared', { type: 'deposit', amount: 1 });
    result.push({ sequenceNr, sent, durable: now() });
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return result;
}

/** Sends `n` deposits, `inFlight` at a time; resolves with the head once all are durable. */
export async function tabBurst(n: number, inFlight: number): Promise<number> {
  let head = 0;
  for (let i = 0; i < n; i += inFlight) {
    const wave = Array.from({ length: Math.min(inFlight, n - i) }, () => tab!.client.send('account', 'shared', { type: 'deposit', amount: 1 }));
    for (const { sequenceNr } of await Promise.all(wave)) head = Math.max(head, sequenceNr);
  }
  return head;
}

/** When this tab's subscription heard each sequence number from `from` to `to`, once it has heard them all. */
export async function tabHeard(from: number, to: number): Promise<number[]> {
  const { heard } = tab!;
  while (!heard.has(to)) await new Promise((resolve) => setTimeout(resolve, 5));
  return Array.from({ length: to - from + 1 }, (_, i) => heard.get(from + i) ?? Number.NaN);
}

/** When the worker of the tab named `role` last heard a notice on the channel of database `name`. */
export async function tabLastNotice(name: string, role: string): Promise<number> {
  const probe = new BroadcastChannel(`${name}:probe`);
  try {
    return await new Promise<number>((resolve) => {
      probe.onmessage = ({ data }: MessageEvent<{ tab: string; lastNotice: number }>) => {
        if (data.tab === role) resolve(data.lastNotice);
      };
      probe.postMessage('ask');
    });
  } finally {
    probe.close();
  }
}

/** The clock of `tabHeard` and `tabWrite`. */
export function tabNow(): number {
  return now();
}

/** Closes this tab's worker. */
export async function tabClose(): Promise<void> {
  tab?.stop();
  await tab?.client.close();
  tab?.worker.terminate();
  tab = undefined;
}
