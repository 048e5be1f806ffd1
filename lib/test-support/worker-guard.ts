// Imported first by every worker the browser tests start: it tells the page of each unhandled rejection and uncaught
// error in the worker's global scope, over the worker's own port, so that `fail-on-unhandled-rejection.ts` fails the
// test. The page's Comlink ignores these messages (they carry no call id).
import { GUARD, type GuardMessage } from './worker-guard-protocol.ts';

/** What the guard uses of the worker's global scope (the DOM types lack the worker's). */
interface WorkerScope {
  readonly name: string;
  postMessage(message: unknown): void;
  addEventListener(type: 'unhandledrejection', listener: (event: PromiseRejectionEvent) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const tell = (message: GuardMessage) => scope.postMessage({ [GUARD]: message });

function describe(reason: unknown): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}${reason.stack ? `\n${reason.stack}` : ''}`;
  try {
    return typeof reason === 'string' ? reason : JSON.stringify(reason);
  } catch {
    return String(reason);
  }
}

// The first message a guarded worker sends: the page refuses workers whose first message is anything else.
tell({ kind: 'guarded' });
scope.addEventListener('unhandledrejection', (event) => {
  const message = event.reason instanceof Error ? event.reason.message : describe(event.reason);
  tell({ kind: 'problem', problem: `unhandled rejection in worker "${scope.name}": ${describe(event.reason)}`, message });
});
scope.addEventListener('error', (event) => {
  tell({ kind: 'problem', problem: `uncaught error in worker "${scope.name}": ${event.message}`, message: event.message });
});
scope.addEventListener('message', ({ data }: MessageEvent) => {
  const message = (data as Record<string, GuardMessage> | null)?.[GUARD];
  // A rejection is reported in a task after the one that left it unhandled: answer after the reports under way.
  if (message?.kind === 'ping') setTimeout(() => tell({ kind: 'pong', id: message.id }));
});
