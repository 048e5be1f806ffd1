/** Streams whose heads a journal handle remembers at most; the least recently written are forgotten first. */
export const KNOWN_STREAMS = 10_000;

/**
 * What one journal handle knows of its journal: the journal's head as of a write it made (or a read under the
 * journal's lock), and the heads of streams at that same point, for streams it wrote or read. Everything it holds is
 * exact at `head`: a write planned on it and claimed at `head` (see `writeStatement`) needs no read, because the
 * claim fails if any other write came between. A stale memory only costs that failed claim, never a wrong write.
 *
 * @internal
 */
export class KnownHeads {
  #head: number | undefined;
  readonly #streams = new Map<string, number>();

  /** The journal's head that the known stream heads are exact at, or `undefined` when nothing is known. */
  get head(): number | undefined {
    return this.#head;
  }

  /** The head of `streamId` at `head`, or `undefined` when it is not known. */
  stream(streamId: string): number | undefined {
    return this.#streams.get(streamId);
  }

  /**
   * Notes a write that found the journal's head at `base` and committed leaving it at `head` (`base` itself when it
   * stored no event), and `heads`: stream heads it read at `base` or wrote, all exact at `head` (nothing else was
   * written between). What was known at `base` still holds at `head`; what was known at another head is dropped,
   * unless it is newer than `head`, when the write's own report is the older one and dropped instead.
   */
  advance(base: number, head: number, heads: Iterable<readonly [string, number]>): void {
    if (this.#head !== undefined && head < this.#head) return;
    if (this.#head !== base) this.#streams.clear();
    this.#head = head;
    for (const [streamId, streamHead] of heads) {
      // Deleted first, so that the map's order is that of the last write: the oldest are forgotten first.
      this.#streams.delete(streamId);
      this.#streams.set(streamId, streamHead);
    }
    for (const streamId of this.#streams.keys()) {
      if (this.#streams.size <= KNOWN_STREAMS) break;
      this.#streams.delete(streamId);
    }
  }

  /** Forgets everything: after a failed claim, or a write whose outcome is not known. */
  forget(): void {
    this.#head = undefined;
    this.#streams.clear();
  }
}
