import type { EntityChange, PersistedEvent, Recovered } from '../core/index.ts';
import { type ListenerErrorHandler, reportToConsole, tellEach } from './listeners.ts';

/** Options of a timeline. */
export interface TimelineOptions {
  /** How many events up to the selected one the timeline holds. Default 50. */
  window?: number;
}

/** What a timeline shows: the entity at the selected sequence number, and the events leading to it. */
export interface TimelineSnapshot<S, E> {
  /** True until the entity's head is known. */
  readonly loading: boolean;
  /** The sequence number of the entity's newest event. */
  readonly head: number;
  /** The selected sequence number (0 is before the first event); the head while live. */
  readonly position: number;
  /** True when the timeline follows the head. */
  readonly live: boolean;
  /** The state after event `stateSequenceNr`; `undefined` until loaded. */
  readonly state: S | undefined;
  /** The sequence number `state` and `events` belong to: lags `position` while a seek loads. */
  readonly stateSequenceNr: number;
  /** Up to `window` events ending at `stateSequenceNr`, ascending. */
  readonly events: readonly PersistedEvent<E>[];
  /** Why the last load failed, if it did. */
  readonly error?: unknown;
}

/** What a timeline needs from its client, for one entity. */
export interface TimelineSource<S, E> {
  /** Follows the entity: `listener` hears each change, `onError` why it cannot; returns the function that stops. */
  subscribe(listener: (change: EntityChange<S, E>) => void, onError: (error: unknown) => void): () => void;
  /** The entity's state after event `sequenceNr`, with the `tail` events leading to it (see `Client.historyAt`). */
  historyAt(sequenceNr: number, tail: number): Promise<Recovered<S, E>>;
  /** The entity's events from `from` to `to` (see `Client.events`). */
  events(from: number, to: number): Promise<PersistedEvent<E>[]>;
}

/** Seeks loading at once: the next position starts while the one before it still loads. */
const SEEKS_IN_FLIGHT = 2;

/**
 * An entity's history as an external store, for a history slider: live, it follows the entity's new events; after
 * `seek`, it shows the state after the chosen event (time travel, folded in the worker from the nearest snapshot).
 * Seeks overlap and are coalesced: two load at once, so a scrub's new position does not wait for the one before it,
 * and beyond them only the newest target waits, so a fast scrub never queues up; a seek that ends after a newer one
 * was shown is dropped.
 */
export class Timeline<S, E> {
  readonly #window: number;
  #snapshot: TimelineSnapshot<S, E> = { loading: true, head: 0, position: 0, live: true, state: undefined, stateSequenceNr: 0, events: [] };
  /** The newest state and events, kept up to date while the timeline is scrubbed elsewhere. */
  #latest: { state: S; sequenceNr: number; events: PersistedEvent<E>[] } | undefined;
  readonly #listeners = new Set<() => void>();
  #stop: (() => void) | undefined;
  /** The newest position asked for and not yet loading. */
  #target: number | undefined;
  /** Seeks loading now, how many were started, and which of them the view shows. */
  #inFlight = 0;
  #issued = 0;
  #shown = 0;
  /** How many changes were heard: a window read for a change is dropped once a later change was heard. */
  #changes = 0;

  constructor(
    private readonly source: TimelineSource<S, E>,
    { window = 50 }: TimelineOptions = {},
    /** Hears what a listener threw; the other listeners are told all the same. */
    private readonly report: ListenerErrorHandler = reportToConsole,
  ) {
    this.#window = window;
  }

  /** The current snapshot; the same object until it changes. */
  readonly getSnapshot = (): TimelineSnapshot<S, E> => this.#snapshot;

  /**
   * Calls `onChange` after each change of the snapshot; returns the function that unsubscribes. The timeline follows
   * its entity while it has subscribers.
   */
  readonly subscribe = (onChange: () => void): (() => void) => {
    this.#listeners.add(onChange);
    this.#stop ??= this.source.subscribe(
      (change) => void this.#onChange(change).catch((error: unknown) => this.#update({ error, loading: false })),
      (error) => this.#update({ error, loading: false }),
    );
    return () => {
      this.#listeners.delete(onChange);
      if (this.#listeners.size === 0) {
        this.#stop?.();
        this.#stop = undefined;
      }
    };
  };

  /** Shows the entity as it was after event `position` (clamped to 0…head), leaving live mode. */
  seek(position: number): void {
    const target = Math.max(0, Math.min(Math.round(position), this.#snapshot.head));
    if (target === this.#snapshot.head && this.#latest) return this.goLive();
    this.#update({ live: false, position: target });
    this.#target = target;
    this.#pump();
  }

  /** Follows the entity's newest events again. */
  goLive(): void {
    this.#target = undefined;
    const latest = this.#latest;
    this.#update({
      live: true,
      position: this.#snapshot.head,
      ...(latest && { state: latest.state, stateSequenceNr: latest.sequenceNr, events: latest.events }),
    });
  }

  async #onChange(change: EntityChange<S, E>): Promise<void> {
    const round = ++this.#changes;
    const previous = this.#latest;
    let events: PersistedEvent<E>[];
    // A rebased change (sync) replaces the pending part of the history: read the window afresh.
    const rebased = (change as { rebased?: boolean }).rebased === true;
    const continues = !rebased && previous && change.events[0]?.sequenceNr === previous.sequenceNr + 1;
    if (continues) {
      events = [...previous.events, ...change.events].slice(-this.#window);
    } else {
      // The first view, or a change whose events do not follow ours: read the window afresh.
      const from = Math.max(1, change.sequenceNr - this.#window + 1);
      try {
        events = change.sequenceNr === 0 ? [] : await this.source.events(from, change.sequenceNr);
      } catch (error) {
        return this.#update({ error, loading: false });
      }
      // A later change arrived during the read: it is the newer view. Sequence numbers cannot tell, since a new
      // worker over a new database starts them again.
      if (round !== this.#changes) return;
    }
    this.#latest = { state: change.state, sequenceNr: change.sequenceNr, events };
    const live = this.#snapshot.live;
    this.#update({
      loading: false,
      head: change.sequenceNr,
      ...(live && { position: change.sequenceNr, state: change.state, stateSequenceNr: change.sequenceNr, events }),
    });
  }

  /** Starts the waiting seek while fewer than `SEEKS_IN_FLIGHT` are loading. */
  #pump(): void {
    while (this.#target !== undefined && this.#inFlight < SEEKS_IN_FLIGHT) {
      const target = this.#target;
      this.#target = undefined;
      void this.#load(target, ++this.#issued);
    }
  }

  async #load(target: number, ticket: number): Promise<void> {
    this.#inFlight++;
    try {
      const past = await this.source.historyAt(target, this.#window);
      // A seek asked for later was shown first: this older one would take the view back.
      if (ticket > this.#shown && !this.#snapshot.live) {
        this.#shown = ticket;
        this.#update({ state: past.state, stateSequenceNr: past.sequenceNr, events: past.events, error: undefined });
      }
    } catch (error) {
      if (ticket > this.#shown) this.#update({ error });
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }

  #update(change: Partial<TimelineSnapshot<S, E>>): void {
    this.#snapshot = { ...this.#snapshot, ...change };
    tellEach(this.#listeners, this.report);
  }
}
