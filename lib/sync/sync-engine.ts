import { isEventfoldError, SyncError } from '../core/errors.ts';
import { encodeValue } from '../core/value-codec.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';
import { MAX_PUSH_COMMANDS, type PushedCommand } from './protocol.ts';
import type { SyncHttp } from './sync-http.ts';
import type { SyncedRuntime } from './synced-runtime.ts';

/**
 * Where sync stands on this device: `offline` (the server cannot be reached, or refuses: `error` says why),
 * `syncing` (pushing or pulling), `synced` (nothing left to push, everything pulled); with the number of commands
 * waiting for the server.
 */
export interface SyncStatus {
  /** Where sync stands. */
  readonly state: 'offline' | 'syncing' | 'synced';
  /** How many commands wait in the outbox (undecided, or confirmed and waiting for their events). */
  readonly pending: number;
  /** Why the last attempt failed, while `offline`. */
  readonly error?: SyncError;
}

/** Options of `SyncEngine`. */
export interface SyncEngineOptions {
  /** The server's requests, on this device's connection. */
  readonly http: SyncHttp;
  /** The outbox pushed, and where the device's cursor is kept. */
  readonly outbox: Outbox;
  /** The runtime that applies outcomes and pulled events, and tells of new commands. */
  readonly runtime: SyncedRuntime<any>;
  /** Commands per push. Default (and most) `MAX_PUSH_COMMANDS`, 1,000. */
  readonly pushBatch?: number;
  /** Events per pull. Default 5,000 (the server allows up to 10,000). */
  readonly pullLimit?: number;
  /** The longest wait between two attempts after failures, in ms. Default 30 s. */
  readonly maxBackoffMs?: number;
  /** Told of each new status. */
  readonly onStatus?: (status: SyncStatus) => void;
  /** Told of failures (each one also sets the status). */
  readonly onError?: (error: unknown) => void;
  /** A new epoch of the server: the confirmed copy must be dropped before the device starts over. */
  readonly onNewEpoch?: (epoch: string, lastSeq: number) => Promise<void>;
  /** Draws the jitter of backoffs. Default `Math.random`. */
  readonly random?: () => number;
}

/**
 * The device's sync loop: pushes the outbox in order and in bounded batches, pulls from its own persisted cursor
 * until it has caught up, then waits for a wake-up (the server's change stream, a new command, the browser coming
 * online) or a minute. A failure is retried with exponential backoff and jitter; the loop never waits for the echo
 * of its own push, and never blocks behind a rejected command (rejections are outcomes).
 */
export class SyncEngine {
  readonly #options: SyncEngineOptions;
  readonly #abort = new AbortController();
  #wake: (() => void) | undefined;
  #woken = false;
  #status: SyncStatus = { state: 'offline', pending: 0 };
  #running: Promise<void> | undefined;

  constructor(options: SyncEngineOptions) {
    this.#options = options;
  }

  /** Where sync stands. */
  get status(): SyncStatus {
    return this.#status;
  }

  /** Starts the loop and the change stream; resolves when `stop` ended them. */
  start(): Promise<void> {
    if (this.#running) return this.#running;
    const stopWaking = this.#options.runtime.onCommand(() => this.wake());
    // Confirmations are kept in memory by the tab that syncs: a tab that starts asks the server for them again.
    this.#running = this.#options.outbox
      .forgetOutcomes()
      .catch((error: unknown) => this.#report(error))
      .then(() => Promise.all([this.#loop(), this.#listen()]))
      .then(stopWaking);
    return this.#running;
  }

  /** Asks for a round now (a command was added, the browser came online). */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Ends the loop and the change stream. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wake?.();
    await this.#running;
  }

  async #loop(): Promise<void> {
    let failures = 0;
    let fresh = true;
    const { signal } = this.#abort;
    while (!signal.aborted) {
      this.#woken = false;
      try {
        await this.#setStatus('syncing');
        // Pull first after a start or a failure: a new epoch of the server is found before anything is pushed to it.
        if (fresh) await this.#pullAll(signal);
        fresh = false;
        await this.#pushAll(signal);
        await this.#pullAll(signal);
        failures = 0;
        // A command added while pulling is pushed now rather than after the wait.
        if (await this.#options.outbox.undecided(1).then((found) => found.length > 0)) continue;
        await this.#setStatus('synced');
        await this.#idle(60_000);
      } catch (error) {
        if (signal.aborted) return;
        failures++;
        fresh = true;
        const failure = error instanceof SyncError || isEventfoldError(error, 'sync-failed') ? error : new SyncError('offline', `sync failed: ${(error as Error)?.message ?? String(error)}`, { retryable: true, cause: error });
        this.#report(failure);
        // The status may fail to be counted (the outbox closing): the loop goes on all the same.
        await this.#setStatus('offline', failure).catch((error: unknown) => this.#report(error));
        const max = this.#options.maxBackoffMs ?? 30_000;
        const base = failure.retryable ? Math.min(max, 250 * 2 ** Math.min(failures, 10)) : max;
        await this.#idle(base / 2 + (this.#options.random ?? Math.random)() * (base / 2));
      }
    }
  }

  /**
   * Pushes the undecided commands, batch by batch; resolves whether it pushed any. The outcomes of a batch are taken
   * in (in order) while the server decides the next one.
   */
  async #pushAll(signal: AbortSignal): Promise<boolean> {
    const { outbox, http, runtime } = this.#options;
    const batch = this.#options.pushBatch ?? MAX_PUSH_COMMANDS;
    const device = await outbox.device();
    let after = device.outcomesAfter;
    let settling: Promise<void> = Promise.resolve();
    let pushedAny = false;
    try {
      for (;;) {
        const commands = bounded((await outbox.entriesAfter(after, batch)).map(pushed));
        if (commands.length === 0 || signal.aborted) return pushedAny;
        pushedAny = true;
        await outbox.notePushed(commands.at(-1)!.seq);
        let answer;
        try {
          answer = await http.push({ deviceId: device.deviceId, ...(device.epoch !== undefined && { epoch: device.epoch }), commands }, signal);
        } catch (error) {
          // The journal began a new life: the next pull finds its epoch, and the device starts over.
          if (error instanceof SyncError && error.reason === 'epoch-changed') return true;
          // The server or the device went back to a backup: number the commands after what the server decided.
          if (error instanceof SyncError && (error.reason === 'sequence-reused' || error.reason === 'out-of-order') && Number.isSafeInteger(error.details.lastSeq)) {
            await settling;
            await outbox.renumber(Number(error.details.lastSeq));
            return true;
          }
          throw error;
        }
        if (device.epoch !== undefined && answer.epoch !== device.epoch) {
          await settling;
          await this.#newEpoch(answer.epoch, answer.lastSeq);
          return true;
        }
        after = commands.at(-1)!.seq;
        const { outcomes, epoch } = answer;
        settling = settling.then(async () => {
          await runtime.applyOutcomes(outcomes, epoch);
          await this.#setStatus('syncing');
        });
        // Seen to at the end; a failure in between must not go unhandled meanwhile.
        settling.catch(() => {});
      }
    } finally {
      await settling;
    }
  }

  /** Pulls until caught up; the next page is asked for while one is taken in. */
  async #pullAll(signal: AbortSignal): Promise<void> {
    const { outbox, http, runtime } = this.#options;
    const limit = this.#options.pullLimit ?? 5000;
    const device = await outbox.device();
    const ask = (after: number, outcomesAfter: number) => {
      const asked = http.pull({ device: device.deviceId, after, outcomesAfter, limit }, signal);
      asked.catch(() => {});
      return asked;
    };
    let next = ask(device.cursor, device.outcomesAfter);
    const first = next;
    for (;;) {
      const pull = await next;
      // The journal was created again, or restored from a backup (to before this device's cursor, or to a history
      // where another event sits there): start over from its events.
      const followed = next !== first || device.cursor === 0 || device.cursorEventId === undefined || pull.cursorEventId === device.cursorEventId;
      if ((device.epoch !== undefined && pull.epoch !== device.epoch) || device.cursor > pull.head || !followed) return this.#newEpoch(pull.epoch, pull.lastSeq);
      // Caught up once the page reaches the head it was read at (a page may stop short of `limit`, bounded in bytes).
      const caughtUp = (pull.events.at(-1)?.position ?? pull.head) >= pull.head && pull.outcomes.length < limit;
      if (!caughtUp && !signal.aborted) {
        const cursor = pull.events.at(-1)?.position ?? device.cursor;
        next = ask(Math.max(cursor, device.cursor), Math.max(device.outcomesAfter, pull.outcomes.at(-1)?.seq ?? 0));
      }
      await runtime.applyPull(pull);
      await this.#setStatus('syncing');
      if (caughtUp || signal.aborted) return;
    }
  }

  async #newEpoch(epoch: string, lastSeq: number): Promise<void> {
    if (!this.#options.onNewEpoch) throw new SyncError('bad-answer', 'the server began a new epoch, and this device cannot drop its confirmed copy', { retryable: false });
    await this.#options.onNewEpoch(epoch, lastSeq);
    this.wake();
  }

  /** Listens to the server's change stream while the loop runs, reopening it with backoff when it breaks. */
  async #listen(): Promise<void> {
    const { signal } = this.#abort;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.#options.http.changes(signal, () => {
          failures = 0;
          this.wake();
        }, () => this.wake());
      } catch (error) {
        if (signal.aborted) return;
        failures++;
        this.#report(error);
      }
      if (signal.aborted) return;
      const max = this.#options.maxBackoffMs ?? 30_000;
      const base = Math.min(max, 250 * 2 ** Math.min(failures, 10));
      await this.#sleep(base / 2 + (this.#options.random ?? Math.random)() * (base / 2));
    }
  }

  /** Waits up to `ms`, or until woken. */
  #idle(ms: number): Promise<void> {
    if (this.#woken || this.#abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }

  async #setStatus(state: SyncStatus['state'], error?: SyncError): Promise<void> {
    const pending = await this.#options.outbox.count();
    const next: SyncStatus = { state, pending, ...(error && { error }) };
    if (next.state === this.#status.state && next.pending === this.#status.pending && next.error === this.#status.error) return;
    this.#status = next;
    try {
      this.#options.onStatus?.(next);
    } catch (failure) {
      this.#report(failure);
    }
  }

  #report(error: unknown): void {
    try {
      this.#options.onError?.(error);
    } catch {
      // Nowhere left to report to.
    }
  }
}

/**
 * The bytes a push's commands may take, well below the server's default bound on a body (4 MiB): a push of many
 * large commands is split, and a single command (at most 1 MiB, and 1 MiB of metadata) always fits alone.
 */
const PUSH_BYTES = 1 << 20;

/** The first commands of `commands` that fit in `PUSH_BYTES` (always at least one). */
function bounded(commands: PushedCommand[]): PushedCommand[] {
  let bytes = 0;
  for (let i = 0; i < commands.length; i++) {
    bytes += JSON.stringify(commands[i]).length;
    if (bytes > PUSH_BYTES && i > 0) return commands.slice(0, i);
  }
  return commands;
}

/** An outbox entry as pushed: values encoded, the prediction reduced to its event types and versions. */
function pushed(entry: OutboxEntry): PushedCommand {
  const { correlationId, metadata } = entry.options;
  return {
    seq: entry.seq,
    commandId: entry.commandId,
    type: entry.type,
    id: entry.id,
    command: encodeValue(entry.command, 'command'),
    ...(correlationId !== undefined && { correlationId }),
    ...(metadata !== undefined && { metadata: encodeValue(metadata, 'metadata') }),
    ...(entry.events.length > 0 && { predicted: entry.events.map(({ type, schemaVersion }) => ({ type, schemaVersion })) }),
  };
}
