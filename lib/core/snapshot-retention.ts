/**
 * Which of a stream's snapshots a journal keeps, at most `kept` of them (`kept` ≥ 1), given their sequence numbers
 * in ascending order; returns the kept ones, ascending.
 *
 * While a stream has no more than `kept` snapshots, all stay. Beyond that they are thinned to even spacing: the
 * newest stays (recovery starts from it), and of the others, the oldest in each interval of `spacing` sequence
 * numbers (see `snapshotSpacing`), a power of two that doubles as the stream grows. Time travel to any position then
 * folds fewer than about `4 × head / kept` events, however deep the history, from a bounded number of snapshots.
 *
 * The rule only ever drops: as the spacing doubles, each new interval is the union of two old ones and keeps the
 * older of their two snapshots, so a stream thinned again and again stays evenly spread rather than bunched.
 */
export function keptSnapshots(sequenceNrs: readonly number[], kept: number): number[] {
  if (sequenceNrs.length <= kept) return [...sequenceNrs];
  const newest = sequenceNrs[sequenceNrs.length - 1]!;
  if (kept === 1) return [newest];
  const spacing = snapshotSpacing(newest, kept);
  const result: number[] = [];
  let interval = -1;
  for (const sequenceNr of sequenceNrs) {
    const at = Math.floor(sequenceNr / spacing);
    if (at !== interval && sequenceNr !== newest) {
      result.push(sequenceNr);
      interval = at;
    }
  }
  result.push(newest);
  return result;
}

/**
 * The spacing of a thinned stream's snapshots whose newest is at `newest`: the smallest power of two that puts the
 * snapshots before the newest into at most `kept - 1` intervals, so that with the newest they are at most `kept`.
 */
export function snapshotSpacing(newest: number, kept: number): number {
  let spacing = 1;
  while (spacing * (kept - 1) <= newest - 1) spacing *= 2;
  return spacing;
}
