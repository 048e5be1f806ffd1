/** The journal stream of an entity: its type and id joined by `:`, as in `account:acc-001`. */
export function streamIdOf(type: string, id: string): string {
  return `${type}:${id}`;
}

/**
 * The entity type and id a journal stream belongs to: the halves of `streamIdOf` (an entity type never contains
 * `:`, an id may). A stream written without a type, straight to a journal, has the type `''` and its whole id.
 */
export function entityOf(streamId: string): {
  /** What comes before the first `:`; `''` when there is none. */
  entityType: string;
  /** What comes after the first `:`; the whole stream id when there is none. */
  entityId: string;
} {
  const colon = streamId.indexOf(':');
  return colon < 0
    ? { entityType: '', entityId: streamId }
    : { entityType: streamId.slice(0, colon), entityId: streamId.slice(colon + 1) };
}
