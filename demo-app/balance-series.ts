/** The balance after each event of an account, growing as events arrive. Index 0 is before the first event. */
export class BalanceSeries {
  #values = new Float64Array(1024);
  #length = 1;

  /** The number of points: events + 1. */
  get length(): number {
    return this.#length;
  }

  /** Appends the balance after the next event. */
  push(balance: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = balance;
  }

  /** The balance after event `sequenceNr`. */
  at(sequenceNr: number): number {
    return this.#values[sequenceNr] ?? 0;
  }

  /**
   * At most `buckets` pairs of (first index, min, max) summarising the series, so that a chart of a million events
   * draws a few hundred points and still shows every spike.
   */
  downsample(buckets: number): { index: number; min: number; max: number }[] {
    const size = Math.max(1, Math.ceil(this.#length / buckets));
    const points: { index: number; min: number; max: number }[] = [];
    for (let start = 0; start < this.#length; start += size) {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let i = start; i < Math.min(this.#length, start + size); i++) {
        const value = this.#values[i]!;
        if (value < min) min = value;
        if (value > max) max = value;
      }
      points.push({ index: start, min, max });
    }
    return points;
  }
}
