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
  | {
      /** Not read yet. */
      readonly status: 'loading';
    }
  | {
      /** Read: the documents are there. */
      readonly status: 'ready';
      /** The documents, in order of id. */
      readonly documents: readonly ReadModelDocument<Doc>[];
      /** The global position the documents reflect. */
      readonly position: number;
      /** The projection's status, read with the documents. */
      readonly projection: ProjectionStatus;
      /** Set while a rebuild is under way: its progress, in events. */
      readonly rebuilding?: {
        /** The position the rebuild has reached. */
        readonly processed: number;
        /** The journal's head when it began. */
        readonly total: number;
      };
    }
  | {
      /** Nothing to show until the projection is built. */
      readonly status: 'rebuilding';
      /** The position the build has reached. */
      readonly processed: number;
      /** The journal's head when it began. */
      readonly total: number;
    }
  | {
      /** The read failed. */
      readonly status: 'error';
      /** Why, as the worker sent it (an eventfold error keeps its class and fields). */
      readonly error: unknown;
    };

/** What a read-model store needs from the client. */
export interface ReadModelSource<Doc> {
  /** Follows the projection: `listener` hears each status change (a sign to read again); returns the function that stops. */
  subscribe(listener: (status: ProjectionStatus) => void, onError: (error: unknown) => void): () => void;
  /** Reads the documents, with the position they reflect. */
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
