/** How many requests a journal may make: `requests` in a burst, refilled at that many per `perMs`. */
export interface RateLimit {
  /** The burst: requests allowed at once. */
  readonly requests: number;
  /** How long the bucket takes to refill from empty, in milliseconds. */
  readonly perMs: number;
}

/** Token buckets by key (a journal id), forgotten once full again, so that idle journals cost no memory. */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: () => number,
  ) {}

  /** Takes a token for `key`: `0` when there was one, else how many milliseconds until there is. */
  take(key: string): number {
    const now = this.clock();
    const { requests, perMs } = this.limit;
    const bucket = this.#buckets.get(key) ?? { tokens: requests, at: now };
    bucket.tokens = Math.min(requests, bucket.tokens + ((now - bucket.at) * requests) / perMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.#buckets.set(key, bucket);
      return Math.ceil(((1 - bucket.tokens) * perMs) / requests);
    }
    bucket.tokens -= 1;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > 10_000) this.#sweep(now);
    return 0;
  }

  /** Drops the buckets that have refilled. */
  #sweep(now: number): void {
    const { requests, perMs } = this.limit;
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) * requests) / perMs >= requests) this.#buckets.delete(key);
    }
  }
}
