import { type AnyProjection, type AppendOutcome, ConflictError, type EventfoldError, type StreamWrite } from 'eventfold';
import { type AcceptedWrite, planProjectedWrites, type ProjectedPlan, type WriteState } from 'eventfold/kit';

/**
 * `planProjectedWrites`, with event ids unique in the journal (the `events` table says so): a write with an event id
 * that is stored already (`taken`), or that an earlier write of the call stores, is left out with a `ConflictError`
 * and the rest planned again, so that the others are stored rather than the whole transaction aborted by the index.
 *
 * @internal
 */
export function planWithUniqueEventIds(
  writes: readonly StreamWrite[],
  state: WriteState,
  live: readonly AnyProjection[],
  read: (projection: string, id: string) => unknown,
  taken: ReadonlySet<string>,
): ProjectedPlan {
  const failed = new Map<number, EventfoldError>();
  for (;;) {
    const indices = writes.map((_, i) => i).filter((i) => !failed.has(i));
    const plan = planProjectedWrites(indices.map((i) => writes[i]!), { ...state, heads: new Map(state.heads) }, live, read);
    const duplicate = firstDuplicate(plan, taken);
    if (!duplicate) {
      if (failed.size === 0) return plan;
      const outcomes = writes.map((_, i): AppendOutcome => {
        const error = failed.get(i);
        return error ? { error } : plan.outcomes[indices.indexOf(i)]!;
      });
      return { ...plan, outcomes };
    }
    const { index, eventId, write } = duplicate;
    const head = write.events[0]!.sequenceNr - 1;
    failed.set(indices[index]!, new ConflictError(write.streamId, head, head, `event id ${JSON.stringify(eventId)} is taken`));
  }
}

/** The first accepted write (by its index among the outcomes) with an event id taken or used before it in the plan. */
function firstDuplicate(plan: ProjectedPlan, taken: ReadonlySet<string>): { index: number; eventId: string; write: AcceptedWrite } | undefined {
  const seen = new Set<string>();
  let k = 0;
  for (const [index, outcome] of plan.outcomes.entries()) {
    if ('error' in outcome) continue;
    const write = plan.accepted[k++]!;
    for (const { eventId } of write.events) {
      if (taken.has(eventId) || seen.has(eventId)) return { index, eventId, write };
      seen.add(eventId);
    }
  }
  return undefined;
}
