import type { ProjectionStatus, ReadModel, ReadModelDocument } from '../core/index.ts';
import { SourceStore } from './source-store.ts';

/**
 * A read model as the page shows it: `loading` until the first read, then `ready` with the documents (read again
 * whenever the projection reports a change, in any tab), or `error`. A rebuild never takes the documents away: they
 * stay `ready`, kept up to date, with the rebuild's progress in `rebuilding`, until the rebuilt documents replace
 * them at once. `rebuilding` as a status (no documents) is only for a read model that has nothing to show yet: a
 * projection new to a journal with history, being built.
 */
export type ReadModelSnapshot<Doc> =
  | { readonly status: 'loading' }
  | {
      readonly status: 'ready';
      readonly documents: readonly ReadModelDocument<Doc>[];
      /** The global position the documents reflect. */
      readonly position: number;
      readonly projection: ProjectionStatus;
      /** Set while a rebuild is under way: its progress, in events. */
      readonly rebuilding?: { readonly processed: number; readonly total: number };
    }
  | { readonly status: 'rebuilding'; readonly processed: number; readonly total: number }
  | { readonly status: 'error'; readonly error: unknown };

/** What a read-model store needs from the client. */
export interface ReadModelSource<Doc> {
  subscribe(listener: (status: ProjectionStatus) => void, onError: (error: unknown) => void): () => void;
  read(): Promise<ReadModel<Doc>>;
}

/**
 * A store of a read model's live documents; see `Client.readModelStore`. Reads are coalesced: changes that arrive
 * during a read cause one more read after it, never a pile of them.
 */
export function readModelStore<Doc>(source: ReadModelSource<Doc>): SourceStore<ReadModelSnapshot<Doc>> {
  return new SourceStore<ReadModelSnapshot<Doc>>({ status: 'loading' }, (set) => {
    let reading = false;
    let again = false;
    let stopped = false;
    const read = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          try {
            const { documents, position, status: projection, rebuilding } = await source.read();
            if (!stopped) set({ status: 'ready', documents, position, projection, ...(rebuilding && { rebuilding }) });
          } catch (error) {
            if (stopped) return;
            const { code, processed, total } = error as { code?: unknown; processed?: number; total?: number };
            set(code === 'projection-rebuilding' ? { status: 'rebuilding', processed: processed!, total: total! } : { status: 'error', error });
          }
        } while (again && !stopped);
      } finally {
        reading = false;
      }
    };
    const unsubscribe = source.subscribe(
      (status) => {
        // A rebuild's progress shows at once, on what is shown; the read that follows brings inline changes too.
        if (status.state === 'rebuilding') {
          const progress = { processed: status.processed ?? 0, total: status.total ?? 0 };
          set((shown) => {
            if (shown.status === 'ready') return { ...shown, projection: status, rebuilding: progress };
            return shown.status === 'rebuilding' ? { status: 'rebuilding', ...progress } : shown;
          });
        }
        void read();
      },
      (error) => set({ status: 'error', error }),
    );
    return () => {
      stopped = true;
      unsubscribe();
    };
  });
}
