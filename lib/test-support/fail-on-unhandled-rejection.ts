// Fails the test during which a promise rejection went unhandled, in Node and in the browser alike, and in the
// browser also the test during which a worker had an unhandled rejection or an uncaught error: every worker a test
// starts must import `worker-guard.ts` first, which reports them here (a worker that does not is itself a failure).
import { afterAll, afterEach, expect } from 'vitest';
import { GUARD, type GuardMessage, guardState, settleWorkers } from './worker-guard-protocol.ts';

const unhandled: unknown[] = [];
const record = (reason: unknown) => unhandled.push(reason);
/** Worker problems the running test provokes on purpose, each to be seen at least once. */
const { expected, live } = guardState();

const nodeProcess = (globalThis as { process?: { on(event: string, listener: (reason: unknown) => void): void } })
  .process;
if (typeof window !== 'undefined') {
  window.addEventListener('unhandledrejection', (event) => record(event.reason));
} else {
  nodeProcess?.on('unhandledRejection', record);
}

let pings = 0;

function workerProblem(problem: string, message: string): void {
  const expectation = expected.find(({ pattern }) => pattern.test(message));
  if (expectation) expectation.seen = true;
  else record(problem);
}

// Node has no Worker to guard: the class is defined only where there is one to extend.
if (typeof Worker !== 'undefined') {
  /** A Worker that listens to what its `worker-guard.ts` reports. */
  class GuardedWorker extends Worker {
    readonly #pongs = new Map<number, () => void>();

    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      live.add(this);
      let first = true;
      this.addEventListener('message', ({ data }: MessageEvent) => {
        const message = (data as Record<string, GuardMessage> | null)?.[GUARD];
        if (first && message?.kind !== 'guarded') {
          const message = 'does not import lib/test-support/worker-guard.ts first: its errors would go unseen';
          workerProblem(`the worker ${String(url)} ${message}`, message);
        }
        first = false;
        if (message?.kind === 'problem') workerProblem(message.problem, message.message);
        if (message?.kind === 'pong') this.#pongs.get(message.id)?.();
      });
    }

    override terminate(): void {
      live.delete(this);
      for (const answered of this.#pongs.values()) answered();
      super.terminate();
    }

    /** Resolves once the worker has reported everything that happened in it before. */
    settled(): Promise<void> {
      const id = ++pings;
      return new Promise<void>((resolve) => {
        this.#pongs.set(id, () => resolve());
        this.postMessage({ [GUARD]: { kind: 'ping', id } satisfies GuardMessage });
      }).then(() => void this.#pongs.delete(id));
    }
  }

  globalThis.Worker = GuardedWorker;
}

const check = async () => {
  // Rejections are reported after a macrotask: let the ones caused by the test surface first.
  await new Promise((resolve) => setTimeout(resolve, 0));
  await settleWorkers();
  const missed = expected.splice(0).filter(({ seen }) => !seen);
  expect(missed.map(({ pattern }) => String(pattern)), 'expected worker errors that did not happen').toEqual([]);
  const reasons = unhandled.splice(0);
  expect(reasons, 'unhandled promise rejections and uncaught worker errors').toEqual([]);
};
afterEach(check);
afterAll(check);
