import { type CommandOptions, validateCommand } from '../core/command.ts';
import { decideCommand } from '../core/decision.ts';
import { type AnyEntityDefinition, type EntityDefinitions, matchesExpectedVersion } from '../core/entity.ts';
import type { EntityChange } from '../core/entity-instance.ts';
import { ConflictError, InvalidArgumentError, isEventfoldError, messageOf } from '../core/errors.ts';
import { fingerprintOf, randomId } from '../core/identity.ts';
import type { EventJournal, NewEvent, PersistedEvent, StreamWrite } from '../core/journal.ts';
import { foldEvents, type Recovered, type Versioned } from '../core/replay.ts';
import type { EntityRuntime } from '../core/runtime.ts';
import { EntitySchema } from '../core/schema.ts';
import { entityOf, streamIdOf } from '../core/stream-id.ts';
import { assertEntityId, assertTail } from '../core/validation.ts';
import { decodeValue } from '../core/value-codec.ts';
import type { WireConfirmation, WirePendingView } from '../worker/worker-sync.ts';
import type { Outbox, OutboxEntry, ServerRejection } from './outbox.ts';
import type { Outcome, PullResponse } from './protocol.ts';

/** What a command sent while syncing resolves with: the local result, and how to follow it to the server. */
export interface SyncedResult<S = unknown, E = unknown> {
  /** The entity's state after the command, on this device: the confirmed state plus the pending commands. */
  readonly state: S;
  /** The sequence number of the entity's newest event on this device, predicted ones included. */
  readonly sequenceNr: number;
  /** The events the device predicts; the server decides the command again, and its events are the facts. */
  readonly events: readonly PersistedEvent<E>[];
  /** The command's id: what `confirmation` waits for. */
  readonly commandId: string;
  /** The command's sequence number on this device. */
  readonly seq: number;
}

/** How a command ended on the server: `confirmed`, or `rejected`, `unsupported`, `failed` with the reason. */
export type Confirmation = WireConfirmation;

/** The pending part of an entity: what this device decided that the server has not confirmed here yet. */
export type PendingView = WirePendingView;

/** One pending command of an entity. */
export type PendingCommand = WirePendingView['commands'][number];

/** A change of an entity as a synced runtime tells it: a rebase may replace pending events instead of adding some. */
export interface SyncedChange<S = unknown, E = unknown> extends EntityChange<S, E> {
  /** True when the state was rebuilt (pending events replaced or dropped): `events` are then all pending events. */
  readonly rebased?: boolean;
}

/** Options of `SyncedRuntime`. */
export interface SyncedRuntimeOptions<D extends EntityDefinitions> {
  /** The runtime on the confirmed copy of the server's journal. */
  readonly runtime: EntityRuntime<D>;
  /** The confirmed copy, where pulled events are stored. */
  readonly journal: EventJournal;
  /** Where commands wait for the server. */
  readonly outbox: Outbox;
  /** The entity types served, by name: the confirmed runtime's. */
  readonly entities: D;
  /** The clock that stamps when a command was accepted. Default `Date.now`. */
  readonly clock?: () => number;
  /** Called after this runtime changed the outbox or the confirmed copy: to tell the profile's other tabs. */
  readonly onChanged?: (streamIds: readonly string[]) => void;
  /** Told of errors no caller receives (a listener that threw). */
  readonly onError?: (error: unknown) => void;
}

/** The device's view of one entity: the confirmed state, and the pending commands decided on top of it. */
interface Overlay {
  confirmed: Versioned<unknown>;
  /** The entity's outbox entries not yet in the confirmed state, in order, with their current predictions. */
  entries: OutboxEntry[];
  speculative: Versioned<unknown>;
}

/**
 * A runtime for a device that syncs: commands are decided on the device's view (the confirmed copy of the server's
 * journal plus the pending commands, each decided on what the ones before it left), stored in the outbox with
 * their predicted events in one transaction, and resolved at once; the server decides them again. When confirmed
 * events or outcomes arrive, the commands they settle leave the outbox and the others are decided again, for the
 * touched entities only (a rebase). The confirmed copy holds nothing but the server's events.
 */
export class SyncedRuntime<D extends EntityDefinitions> {
  /** The runtime on the confirmed copy of the server's journal. */
  readonly runtime: EntityRuntime<D>;
  readonly #journal: EventJournal;
  readonly #outbox: Outbox;
  readonly #entities: D;
  readonly #schemas = new Map<string, EntitySchema>();
  readonly #clock: () => number;
  readonly #overlays = new Map<string, Promise<Overlay>>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #listeners = new Map<string, Set<(change: SyncedChange) => void>>();
  readonly #waiters = new Map<string, Set<(confirmation: Confirmation) => void>>();
  readonly #onChanged: (streamIds: readonly string[]) => void;
  readonly #onError: (error: unknown) => void;
  readonly #commandListeners = new Set<() => void>();
  /** Each stream's commands on their way to the outbox, settled once all are stored (or failed). */
  readonly #inFlight = new Map<string, Promise<unknown>>();
  /** Streams of entities followed in the confirmed runtime, with the function that stops following. */
  readonly #following = new Map<string, () => void>();

  constructor(options: SyncedRuntimeOptions<D>) {
    this.runtime = options.runtime;
    this.#journal = options.journal;
    this.#outbox = options.outbox;
    this.#entities = options.entities;
    this.#clock = options.clock ?? Date.now;
    this.#onChanged = options.onChanged ?? (() => {});
    this.#onError = options.onError ?? (() => {});
    for (const [type, definition] of Object.entries(options.entities)) this.#schemas.set(type, new EntitySchema(type, definition));
  }

  /**
   * Decides a command on the device's view and stores it in the outbox with its predicted events; resolves once
   * stored. A command the view refuses is rejected here (`RejectedError`) and never pushed. `expectedVersion` is
   * checked against the device's view (a `ConflictError` when it does not hold); the server decides on its own state.
   * `idempotencyKey` is refused: a synced command is made safe to retry by its id, and decided once by the server.
   */
  send(type: string, id: string, command: unknown, options: CommandOptions = {}): Promise<SyncedResult> {
    const definition = this.#definition(type, id);
    validateCommand(command, options);
    if (options.idempotencyKey !== undefined) {
      throw new InvalidArgumentError('A synced command takes no idempotencyKey: its id makes it safe to retry, and the server decides it once', 'idempotencyKey');
    }
    const streamId = streamIdOf(type, id);
    // Decided one at a time on the view; stored without holding the stream, so that the commands that arrive while
    // a write is in flight are decided meanwhile and go in the outbox's next transaction together.
    const decided = this.#exclusive(streamId, async () => {
      const overlay = await this.#overlay(streamId);
      const { expectedVersion = 'any' } = options;
      if (!matchesExpectedVersion(expectedVersion, overlay.speculative.sequenceNr)) {
        throw new ConflictError(streamId, expectedVersion as number | 'no-stream' | 'stream-exists', overlay.speculative.sequenceNr, 'expected version');
      }
      const commandId = options.commandId ?? randomId();
      // Sent again (a retry after a lost answer): the command is here already, once.
      const existing = overlay.entries.find((entry) => entry.commandId === commandId);
      if (existing) return { existing, overlay, kind: 'again' as const };
      const decision = decideCommand(this.#context(streamId, definition), overlay.speculative, command, commandId, options);
      const entry = {
        commandId,
        type,
        id,
        streamId,
        command,
        options: { ...(options.correlationId !== undefined && { correlationId: options.correlationId }), ...(options.metadata !== undefined && { metadata: options.metadata }) },
        at: this.#clock(),
        events: decision.events,
      };
      const stored = this.#outbox.add(entry);
      this.#writing(streamId, stored);
      // Its sequence number is the outbox's to give: the entry is in the view now, numbered once stored.
      const placed: OutboxEntry = { ...entry, seq: 0 };
      overlay.entries.push(placed);
      overlay.speculative = decision.after;
      return { overlay, placed, stored, decision, commandId, kind: 'new' as const };
    });
    return decided.then(async (step) => {
      if (step.kind === 'again') {
        const { existing, overlay } = step;
        return { ...overlay.speculative, events: existing.events, commandId: existing.commandId, seq: existing.seq };
      }
      const { overlay, placed, stored, decision, commandId } = step;
      let seq: number;
      try {
        seq = await stored;
      } catch (error) {
        // Not stored, nor what was decided on top of it (the outbox fails those too): the view is built again.
        this.#overlays.delete(streamId);
        void this.#rebase(new Set([streamId])).catch((failure: unknown) => this.#onError(failure));
        throw error;
      }
      if (overlay.entries.some((entry) => entry !== placed && entry.seq === seq)) {
        // The outbox held this command id already (another tab's, or another entity's): it is that one.
        this.#overlays.delete(streamId);
        await this.#rebase(new Set([streamId]));
        return { ...(await this.#overlay(streamId)).speculative, events: [], commandId, seq };
      }
      const at = overlay.entries.indexOf(placed);
      if (at >= 0) overlay.entries[at] = { ...placed, seq };
      // A view built again meanwhile has told its subscribers already.
      if ((await this.#overlays.get(streamId)?.catch(() => undefined)) === overlay) this.#emit(streamId, { events: decision.events, ...decision.after });
      this.#onChanged([streamId]);
      for (const listener of this.#commandListeners) listener();
      return { ...decision.after, events: decision.events, commandId, seq };
    });
  }

  /** The entity's state on this device: confirmed, plus its pending commands. */
  async state(type: string, id: string): Promise<Versioned<unknown>> {
    this.#definition(type, id);
    const streamId = streamIdOf(type, id);
    return this.#exclusive(streamId, async () => (await this.#overlay(streamId)).speculative);
  }

  /** The entity's confirmed sequence number and its pending commands. */
  async pending(type: string, id: string): Promise<PendingView> {
    this.#definition(type, id);
    const streamId = streamIdOf(type, id);
    return this.#exclusive(streamId, async () => {
      const { confirmed, entries } = await this.#overlay(streamId);
      let next = confirmed.sequenceNr + 1;
      const commands = entries.map((entry): PendingCommand => {
        const from = next;
        next += entry.events.length;
        return {
          seq: entry.seq,
          commandId: entry.commandId,
          command: entry.command,
          from,
          to: next - 1,
          decided: entry.outcome !== undefined,
          ...(entry.predictedRejection !== undefined && { predictedRejection: entry.predictedRejection }),
        };
      });
      return { confirmedSequenceNr: confirmed.sequenceNr, commands };
    });
  }

  /** The entity's events from `from` to `to`: the confirmed ones, then the pending predictions. */
  async events(type: string, id: string, from = 1, to?: number): Promise<PersistedEvent[]> {
    this.#definition(type, id);
    const streamId = streamIdOf(type, id);
    const { confirmed, entries } = await this.#exclusive(streamId, () => this.#overlay(streamId));
    const stored = from <= confirmed.sequenceNr ? await this.runtime.events(type, id, from, Math.min(to ?? confirmed.sequenceNr, confirmed.sequenceNr)) : [];
    const pending = entries.flatMap((entry) => entry.events).filter((event) => event.sequenceNr >= from && (to === undefined || event.sequenceNr <= to));
    return [...stored, ...pending];
  }

  /** The entity's state after event `sequenceNr` on this device (time travel, into the pending part too). */
  async stateAt(type: string, id: string, sequenceNr: number): Promise<Versioned<unknown>> {
    const definition = this.#definition(type, id);
    const streamId = streamIdOf(type, id);
    const { confirmed, entries } = await this.#exclusive(streamId, () => this.#overlay(streamId));
    if (sequenceNr <= confirmed.sequenceNr) return this.runtime.stateAt(type, id, sequenceNr);
    const events = entries.flatMap((entry) => entry.events).filter((event) => event.sequenceNr <= sequenceNr);
    const state = foldEvents(streamId, definition, confirmed.state, events);
    return { state, sequenceNr: events.at(-1)?.sequenceNr ?? confirmed.sequenceNr };
  }

  /** `stateAt`, with the `tail` events leading to the state, pending ones included. */
  async historyAt(type: string, id: string, sequenceNr: number, tail: number): Promise<Recovered<unknown>> {
    assertTail(tail);
    const past = await this.stateAt(type, id, sequenceNr);
    const from = Math.max(1, past.sequenceNr - tail + 1);
    const events = tail === 0 || past.sequenceNr === 0 ? [] : await this.events(type, id, from, past.sequenceNr);
    return { ...past, events };
  }

  /** The ids of the entities of a type with confirmed events or pending commands, ascending. */
  async entityIds(type: string): Promise<string[]> {
    const confirmed = await this.runtime.entityIds(type);
    const pending = (await this.#outbox.entries()).filter((entry) => entry.type === type).map((entry) => entry.id);
    return [...new Set([...confirmed, ...pending])].sort();
  }

  /** Calls `listener` with each change of the entity on this device; returns the function that stops. */
  subscribe(type: string, id: string, listener: (change: SyncedChange) => void): () => void {
    this.#definition(type, id);
    const streamId = streamIdOf(type, id);
    let listeners = this.#listeners.get(streamId);
    if (!listeners) this.#listeners.set(streamId, (listeners = new Set()));
    listeners.add(listener);
    this.#follow(type, id);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) {
        this.#listeners.delete(streamId);
        this.#following.get(streamId)?.();
        this.#following.delete(streamId);
      }
    };
  }

  /** Resolves when the server's decision of command `commandId` has reached this device. */
  confirmation(commandId: string): Promise<Confirmation> {
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(commandId);
      if (!waiters) this.#waiters.set(commandId, (waiters = new Set()));
      waiters.add(resolve);
      // Settled already (before the call, or in another tab): the outbox no longer has it.
      void this.#settledAlready(commandId).then(
        (found) => found && this.#resolve(found),
        (error: unknown) => this.#onError(error),
      );
    });
  }

  /** Calls `listener` after each command stored in the outbox by this runtime (sync wakes up on it). */
  onCommand(listener: () => void): () => void {
    this.#commandListeners.add(listener);
    return () => this.#commandListeners.delete(listener);
  }

  /** The server's rejections this device has not dismissed, oldest first. */
  rejections(): Promise<ServerRejection[]> {
    return this.#outbox.rejections();
  }

  /** Forgets a rejection the user has seen. */
  async dismissRejection(commandId: string): Promise<void> {
    await this.#outbox.dismiss(commandId);
    this.#onChanged([]);
  }

  /** How many commands wait for the server (undecided, or decided with their events not here yet). */
  pendingCount(): Promise<number> {
    return this.#outbox.count();
  }

  /** Takes in the outcomes of a push: refused commands leave the outbox, and their entities are rebased. */
  async applyOutcomes(outcomes: readonly Outcome[], epoch: string): Promise<void> {
    const settled = await this.#outbox.settle(outcomes);
    // A command confirmed with events changes nothing of the view until its events come: note it as decided.
    await this.#noteDecided(outcomes, settled.removed);
    // Its events may be here already (pulled before this answer came): then it leaves now.
    const heads = new Map<string, { head: number; most: number }>();
    for (const streamId of settled.touched) {
      const most = outcomes.filter((outcome) => outcome.status === 'confirmed' && outcome.events > 0).length;
      heads.set(streamId, { head: await this.#journal.highestSequenceNr(streamId), most });
    }
    const advanced = heads.size > 0 ? await this.#outbox.advance(0, epoch, heads) : { removed: new Map<string, string[]>(), gone: [] };
    await this.#rebase(new Set([...settled.removed.keys(), ...advanced.removed.keys()]));
    this.#resolveOutcomes(outcomes, [...settled.gone, ...advanced.gone]);
    if (settled.touched.size > 0) this.#onChanged([...settled.touched]);
  }

  /**
   * Takes in a pull: stores its confirmed events in the confirmed copy (those it holds already are skipped), then
   * its outcomes, moves the cursor, and rebases the entities touched.
   */
  async applyPull(pull: PullResponse): Promise<void> {
    const writes = new Map<string, NewEvent[]>();
    for (const wire of pull.events) {
      let list = writes.get(wire.streamId);
      if (!list) writes.set(wire.streamId, (list = []));
      list.push({
        sequenceNr: wire.sequenceNr,
        event: decodeValue(wire.event),
        timestamp: wire.timestamp,
        eventId: wire.eventId,
        type: wire.type,
        schemaVersion: wire.schemaVersion,
        metadata: decodeValue(wire.metadata) as NewEvent['metadata'],
      });
    }
    const heads = new Map<string, { head: number; most: number }>();
    const fresh: StreamWrite[] = [];
    for (const [streamId, events] of writes) {
      const head = await this.#journal.highestSequenceNr(streamId);
      const unseen = events.filter((event) => event.sequenceNr > head);
      heads.set(streamId, { head: Math.max(head, events.at(-1)!.sequenceNr), most: events.length });
      if (unseen.length > 0) fresh.push({ streamId, events: unseen });
    }
    if (fresh.length > 0) {
      const outcomes = await this.#journal.append(fresh);
      const refused = outcomes.find((outcome) => 'error' in outcome);
      if (refused && 'error' in refused) throw refused.error;
    }
    const cursor = pull.events.at(-1)?.position ?? 0;
    const settled = await this.#outbox.settle(pull.outcomes);
    await this.#noteDecided(pull.outcomes, settled.removed);
    // Commands confirmed now whose events came in an earlier pull leave too.
    for (const streamId of settled.touched) {
      const known = heads.get(streamId);
      const confirmed = pull.outcomes.filter((outcome) => outcome.status === 'confirmed').length;
      heads.set(streamId, { head: known?.head ?? (await this.#journal.highestSequenceNr(streamId)), most: (known?.most ?? 0) + confirmed });
    }
    const advanced = await this.#outbox.advance(cursor, pull.epoch, heads, pull.events.at(-1)?.eventId);
    const touched = new Set([...writes.keys(), ...settled.touched, ...advanced.touched]);
    const rebuild = new Set([...settled.removed.keys(), ...[...advanced.removed.keys()].filter((streamId) => !writes.has(streamId))]);
    for (const [streamId, events] of writes) {
      if (!rebuild.has(streamId) && !(await this.#confirmAsPredicted(streamId, events, advanced.removed.get(streamId) ?? []))) rebuild.add(streamId);
    }
    await this.#rebase(rebuild);
    // The views are up to date: now the runtime's other followers (read models, entities in memory) catch up.
    for (const { streamId } of fresh) {
      const { entityType, entityId } = entityOf(streamId);
      if (Object.hasOwn(this.#entities, entityType)) this.runtime.refresh(entityType, entityId);
    }
    this.#resolveOutcomes(pull.outcomes, [...settled.gone, ...advanced.gone]);
    if (touched.size > 0) this.#onChanged([...touched]);
  }

  /** Notes the server's confirmations on the entries of the views in memory (`PendingCommand.decided`). */
  async #noteDecided(outcomes: readonly Outcome[], removed: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const confirmed = new Map(outcomes.filter((outcome) => outcome.status === 'confirmed' && outcome.events > 0).map((outcome) => [outcome.seq, outcome]));
    if (confirmed.size === 0) return;
    for (const [streamId, built] of this.#overlays) {
      if (removed.has(streamId)) continue;
      const overlay = await built.catch(() => undefined);
      if (!overlay) continue;
      overlay.entries = overlay.entries.map((entry) => {
        const outcome = confirmed.get(entry.seq);
        return outcome && outcome.status === 'confirmed' && outcome.commandId === entry.commandId ? { ...entry, outcome } : entry;
      });
    }
  }

  /**
   * The common case of a pull, without deciding anything again: the stream's new confirmed events are exactly what
   * its first pending commands (those that just left the outbox, `gone`) predicted, in order, and nothing else came
   * between. The commands after them were decided on that very state: their predictions stand. Resolves false when
   * it is not so (or the view is not in memory), and the stream is then rebuilt.
   */
  async #confirmAsPredicted(streamId: string, pulled: readonly NewEvent[], gone: readonly string[]): Promise<boolean> {
    const built = this.#overlays.get(streamId);
    if (!built) return true;
    return this.#exclusive(streamId, async () => {
      const overlay = await built.catch(() => undefined);
      if (!overlay || this.#overlays.get(streamId) !== built) return false;
      const fresh = pulled.filter((event) => event.sequenceNr > overlay.confirmed.sequenceNr);
      const leaving = overlay.entries.slice(0, gone.length);
      if (leaving.some((entry, i) => entry.commandId !== gone[i] || entry.predictedRejection !== undefined)) return false;
      const predicted = leaving.flatMap((entry) => entry.events);
      if (predicted.length !== fresh.length) return false;
      for (let i = 0; i < fresh.length; i++) {
        const event = fresh[i]!;
        const guess = predicted[i]!;
        if (event.sequenceNr !== guess.sequenceNr || event.type !== guess.type || event.metadata.causationId !== guess.metadata.causationId) return false;
        if (fingerprintOf(event.event) !== fingerprintOf(guess.event)) return false;
      }
      const { entityType, entityId } = entityOf(streamId);
      const confirmed = await this.runtime.state(entityType, entityId);
      if (confirmed.sequenceNr !== overlay.confirmed.sequenceNr + fresh.length) return false;
      overlay.confirmed = confirmed;
      overlay.entries = overlay.entries.slice(gone.length);
      const events = overlay.entries.flatMap((entry) => entry.events);
      this.#emit(streamId, { events, ...overlay.speculative, rebased: true });
      return true;
    });
  }

  /** Another tab changed the outbox or the confirmed copy of these streams: see them again. */
  async reload(streamIds: readonly string[]): Promise<void> {
    await this.#rebase(new Set(streamIds));
    for (const commandId of this.#waiters.keys()) {
      const found = await this.#settledAlready(commandId);
      if (found) this.#resolve(found);
    }
  }

  /** Rebuilds the view of each stream from the confirmed copy and the outbox, and tells subscribers. */
  async #rebase(streamIds: ReadonlySet<string>): Promise<void> {
    await Promise.all(
      [...streamIds].map((streamId) =>
        this.#exclusive(streamId, async () => {
          const previous = this.#overlays.get(streamId);
          if (!previous && !this.#listeners.has(streamId)) return;
          if (!Object.hasOwn(this.#entities, entityOf(streamId).entityType)) return;
          this.#overlays.delete(streamId);
          const overlay = await this.#overlay(streamId);
          const events = overlay.entries.flatMap((entry) => entry.events);
          this.#emit(streamId, { events, ...overlay.speculative, rebased: true });
        }),
      ),
    );
  }

  /** The view of a stream: built once from the confirmed state and the outbox, then kept up to date. */
  #overlay(streamId: string): Promise<Overlay> {
    let overlay = this.#overlays.get(streamId);
    if (!overlay) {
      overlay = this.#build(streamId);
      this.#overlays.set(streamId, overlay);
      overlay.catch(() => this.#overlays.delete(streamId));
    }
    return overlay;
  }

  async #build(streamId: string): Promise<Overlay> {
    const { entityType, entityId } = entityOf(streamId);
    const definition = this.#entities[entityType]!;
    // Commands of this view still on their way to the outbox are part of what is read.
    await this.#inFlight.get(streamId)?.catch(() => {});
    const confirmed = await this.runtime.state(entityType, entityId);
    const stored = (await this.#outbox.entriesOf(streamId)).map((entry) => {
      const outcome = this.#outbox.outcomeOf(entry.seq);
      return outcome ? { ...entry, outcome } : entry;
    });
    const applied = await this.#appliedAlready(streamId, confirmed.sequenceNr, stored);
    const live = stored.filter((entry) => !(entry.outcome && entry.outcome.sequenceNr <= confirmed.sequenceNr) && !applied.has(entry.commandId));
    const context = this.#context(streamId, definition);
    let speculative = confirmed;
    const changed: OutboxEntry[] = [];
    const entries = live.map((entry) => {
      let next: OutboxEntry;
      try {
        const decision = decideCommand(context, speculative, entry.command, entry.commandId, entry.options);
        speculative = decision.after;
        const { predictedRejection: _was, ...rest } = entry;
        next = { ...rest, events: sameEvents(entry.events, decision.events) ? renumbered(entry.events, decision.events) : decision.events };
      } catch (error) {
        const reason = isEventfoldError(error, 'rejected') ? error.reason : messageOf(error);
        next = { ...entry, events: [], predictedRejection: reason };
      }
      if (!samePrediction(entry, next)) changed.push(next);
      return next;
    });
    // The predictions are kept with the commands, so that the next start shows the same events without deciding.
    await this.#outbox.predict(changed);
    return { confirmed, entries, speculative };
  }

  /**
   * The ids of commands pushed before whose events the confirmed copy holds though this runtime has not heard their
   * confirmation (a device that stopped after a pull, before the outcomes came): found by the causation ids of the
   * stream's newest events, so that no command counts twice in the view while the device waits for its outcome.
   */
  async #appliedAlready(streamId: string, head: number, entries: readonly OutboxEntry[]): Promise<Set<string>> {
    const pushedThrough = (await this.#outbox.device()).pushedThrough ?? 0;
    const unsure = entries.filter((entry) => entry.seq <= pushedThrough && !entry.outcome);
    if (unsure.length === 0 || head === 0) return new Set();
    // Their events are among the newest, behind at most what others wrote since: a bound, with room for those.
    const reach = unsure.reduce((sum, entry) => sum + entry.events.length + 1, 1_000);
    const { entityType, entityId } = entityOf(streamId);
    const recent = await this.runtime.events(entityType, entityId, Math.max(1, head - reach + 1), head);
    const caused = new Set(recent.map((event) => event.metadata.causationId));
    return new Set(unsure.filter((entry) => caused.has(entry.commandId)).map((entry) => entry.commandId));
  }

  /** Keeps the confirmed runtime's entity followed, so that events pulled by another tab reach this view. */
  #follow(type: string, id: string): void {
    const streamId = streamIdOf(type, id);
    if (this.#following.has(streamId)) return;
    this.#following.set(
      streamId,
      this.runtime.subscribe(type, id, (change) => {
        void this.#exclusive(streamId, async () => {
          const overlay = await this.#overlays.get(streamId)?.catch(() => undefined);
          // Events this runtime stored itself (a pull) are in the view already.
          return overlay === undefined || overlay.confirmed.sequenceNr < change.sequenceNr;
        })
          .then((stale) => (stale ? this.#rebase(new Set([streamId])) : undefined))
          .catch((error: unknown) => this.#onError(error));
      }),
    );
  }

  /** The outcome of a command no longer in the outbox: refused when a rejection says so, else confirmed. */
  async #settledAlready(commandId: string): Promise<Confirmation | undefined> {
    if (await this.#outbox.holds(commandId)) return undefined;
    const rejection = (await this.#outbox.rejections()).find((found) => found.commandId === commandId);
    return rejection ? { status: rejection.status, commandId, reason: rejection.reason } : { status: 'confirmed', commandId };
  }

  /** Resolves the waiters of the commands that left the outbox (`gone`), refused ones with their outcome. */
  #resolveOutcomes(outcomes: readonly Outcome[], gone: readonly string[]): void {
    if (this.#waiters.size === 0) return;
    const refused = new Map<string, Confirmation>();
    for (const outcome of outcomes) {
      if (outcome.status !== 'confirmed') refused.set(outcome.commandId, { status: outcome.status, commandId: outcome.commandId, reason: outcome.reason });
    }
    for (const commandId of gone) this.#resolve(refused.get(commandId) ?? { status: 'confirmed', commandId });
  }

  #resolve(confirmation: Confirmation): void {
    const waiters = this.#waiters.get(confirmation.commandId);
    if (!waiters) return;
    this.#waiters.delete(confirmation.commandId);
    for (const resolve of waiters) resolve(confirmation);
  }

  #emit(streamId: string, change: SyncedChange): void {
    for (const listener of this.#listeners.get(streamId) ?? []) {
      try {
        listener(change);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  /** Notes a command of the stream on its way to the outbox, until it is stored or failed. */
  #writing(streamId: string, stored: Promise<unknown>): void {
    const all = Promise.allSettled([this.#inFlight.get(streamId), stored]);
    this.#inFlight.set(streamId, all);
    void all.then(() => {
      if (this.#inFlight.get(streamId) === all) this.#inFlight.delete(streamId);
    });
  }

  /** Runs `work` after the stream's work before it: one decision or rebase of a stream at a time. */
  #exclusive<T>(streamId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(streamId) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => {});
    this.#locks.set(streamId, tail);
    void tail.then(() => {
      if (this.#locks.get(streamId) === tail) this.#locks.delete(streamId);
    });
    return run;
  }

  #context(streamId: string, definition: AnyEntityDefinition) {
    const { entityType } = entityOf(streamId);
    return { streamId, definition, schema: this.#schemas.get(entityType)!, clock: this.#clock };
  }

  #definition(type: string, id: string): AnyEntityDefinition {
    if (typeof type !== 'string' || !Object.hasOwn(this.#entities, type)) {
      throw new InvalidArgumentError(`Unknown entity type ${JSON.stringify(type)}; this runtime serves: ${Object.keys(this.#entities).join(', ')}`, 'type');
    }
    assertEntityId(id);
    return this.#entities[type]!;
  }
}

/** True when two predictions record the same events (types and payloads), whatever their envelopes. */
function sameEvents(before: readonly PersistedEvent[], after: readonly PersistedEvent[]): boolean {
  return before.length === after.length && before.every((event, i) => event.type === after[i]!.type && fingerprintOf(event.event) === fingerprintOf(after[i]!.event));
}

/** The events kept (their ids and timestamps, which the page shows), at the sequence numbers of the new decision. */
function renumbered(kept: readonly PersistedEvent[], decided: readonly PersistedEvent[]): PersistedEvent[] {
  return kept.map((event, i) => (event.sequenceNr === decided[i]!.sequenceNr ? event : { ...event, sequenceNr: decided[i]!.sequenceNr }));
}

function samePrediction(a: OutboxEntry, b: OutboxEntry): boolean {
  return a.predictedRejection === b.predictedRejection && a.events.length === b.events.length && a.events.every((event, i) => event === b.events[i]);
}
