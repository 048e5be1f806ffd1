/// <reference types="node" />
// The Node side of the chaos test: a throwaway PostgreSQL, the sync server in a process of its own, and the fault
// proxy in front of it; the browser test drives them through the commands of `commands.ts`, and reads back what the
// server stored to check its invariants.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
// Read with SQL and the value codec from the sources, not the package: these commands load with Vitest's config,
// where `eventfold` would be the last build and not the code under test.
import { decodeValue } from '../../core/value-codec.ts';
import { freePort, startPostgres } from '../../../tools/postgres-server.mjs';
import { type FaultProxy, startFaultProxy } from './fault-proxy.ts';
import type { FaultRates } from './fault-rates.ts';
import { type ServerProcess, startServerProcess } from './server-process.ts';

/** What the browser test is given by `chaosStart`. */
export interface ChaosStarted {
  /** Each device's sync URL is `${proxyUrl}/d/${device}`. */
  readonly proxyUrl: string;
  /** The secret the server checks tokens with (`journalTokens`). */
  readonly secret: string;
}

/** What the server stored for a journal, as the test's invariants read it. */
export interface ServerRecord {
  readonly events: readonly { position: number; streamId: string; sequenceNr: number; eventId: string; event: unknown; causationId: unknown }[];
  readonly outcomes: readonly { deviceId: string; seq: number; commandId: string; status: string }[];
  readonly readModel: { readonly checkpoint: number | undefined; readonly documents: Readonly<Record<string, unknown>> };
}

/** What happened during a run, for its report. */
export interface ChaosReport {
  readonly faults: Readonly<Record<string, number>>;
  readonly statuses: Readonly<Record<number, number>>;
  readonly serverErrors: readonly string[];
  readonly serverRestarts: number;
  /** The proxy's trace, in text, one request a line: the tail, or the lines of the devices named. */
  readonly trace: string;
}

interface Run {
  readonly stop: () => Promise<void>;
  readonly proxy: FaultProxy;
  readonly server: ServerProcess;
  readonly sql: postgres.Sql;
  restarts: number;
}

let run: Run | undefined;

/** Starts PostgreSQL, the server and the proxy (stopping a run left over first). */
export async function chaosStart({ seed, rates }: { seed: number; rates: FaultRates }): Promise<ChaosStarted> {
  await chaosStop();
  const secret = randomBytes(32).toString('hex');
  // fsync off: the server process is killed in this test, never PostgreSQL, so durability is PostgreSQL's own business.
  const pg = await startPostgres({ fsync: false });
  const stops: (() => Promise<void>)[] = [() => pg.stop()];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => {});
  };
  try {
    const server = await startServerProcess({ databaseUrl: pg.url, port: await freePort(), secret });
    stops.push(() => server.stop());
    const proxy = await startFaultProxy({ target: server.url, seed, rates });
    stops.push(() => proxy.close());
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    stops.push(() => sql.end());
    run = { stop, proxy, server, sql, restarts: 0 };
    return { proxyUrl: proxy.url, secret };
  } catch (error) {
    await stop();
    throw error;
  }
}

function current(): Run {
  if (!run) throw new Error('no chaos run: call chaosStart first');
  return run;
}

/** Sets the proxy's fault rates. */
export function chaosRates(rates: FaultRates): void {
  current().proxy.setRates(rates);
}

/** Takes a device offline, or back online. */
export function chaosOffline(device: string, offline: boolean): void {
  current().proxy.setOffline(device, offline);
}

/** Kills the server process (SIGKILL) and starts it again. */
export async function chaosRestartServer(): Promise<void> {
  const running = current();
  running.restarts++;
  await running.server.restart();
}

/** Everything the server stored for `journalId`. */
export async function chaosRecord(journalId: string): Promise<ServerRecord> {
  const { sql } = current();
  const events = await sql<{ position: string; stream_id: string; sequence_nr: string; event_id: string; data: unknown; metadata: unknown }[]>`
    SELECT position, stream_id, sequence_nr, event_id, data, metadata FROM eventfold.events WHERE journal_id = ${journalId} ORDER BY position`;
  const outcomes = await sql<{ device_id: string; seq: string; command_id: string; status: string }[]>`
    SELECT device_id, seq, command_id, outcome->>'status' AS status FROM eventfold.sync_outcomes WHERE journal_id = ${journalId} ORDER BY device_id, seq`;
  const [checkpoint] = await sql<{ position: string; generation: string }[]>`
    SELECT position, generation FROM eventfold.checkpoints WHERE journal_id = ${journalId} AND projection = 'account-balances'`;
  const documents = checkpoint
    ? await sql<{ doc_id: string; doc: unknown }[]>`
        SELECT doc_id, doc FROM eventfold.documents WHERE journal_id = ${journalId} AND projection = 'account-balances' AND generation = ${checkpoint.generation}`
    : [];
  return {
    events: events.map((row) => ({
      position: Number(row.position),
      streamId: row.stream_id,
      sequenceNr: Number(row.sequence_nr),
      eventId: row.event_id,
      event: decodeValue(row.data),
      causationId: (decodeValue(row.metadata) as { causationId?: unknown }).causationId,
    })),
    outcomes: outcomes.map((row) => ({ deviceId: row.device_id, seq: Number(row.seq), commandId: row.command_id, status: row.status })),
    readModel: { checkpoint: checkpoint && Number(checkpoint.position), documents: Object.fromEntries(documents.map((row) => [row.doc_id, decodeValue(row.doc)])) },
  };
}

/** What befell the run's requests; the trace's last `tail` lines, or every line of `devices`. */
export function chaosReport({ tail = 200, devices }: { tail?: number; devices?: readonly string[] } = {}): ChaosReport {
  const { proxy, server, restarts } = current();
  const lines = proxy.trace().filter((line) => !devices || devices.includes(line.device));
  return {
    faults: proxy.counts(),
    statuses: proxy.statuses(),
    serverErrors: server.errors(),
    serverRestarts: restarts,
    trace: lines
      .slice(-tail)
      .map((line) => `${String(line.at).padStart(7)} ms ${line.device} #${line.n} ${line.request}: ${line.fault}${line.status === undefined ? '' : ` → ${line.status}`}`)
      .join('\n'),
  };
}

/** Stops the run: proxy, server, PostgreSQL. */
export async function chaosStop(): Promise<void> {
  const running = run;
  run = undefined;
  await running?.stop();
}
