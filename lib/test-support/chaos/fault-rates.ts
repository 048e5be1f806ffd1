// The faults of the chaos test's proxy, as rates: plain data, for the page that sets them and the proxy alike.

/** How often each fault happens, per request (0 to 1, drawn in this order; the rest pass untouched). */
export interface FaultRates {
  /** The request never reaches the server. */
  readonly drop: number;
  /** The server answers, and the answer is lost (the connection is cut): the device cannot know what happened. */
  readonly loseResponse: number;
  /** The request reaches the server twice, at once; the device hears one of the answers. */
  readonly duplicate: number;
  /** The request waits until the device's next request has been forwarded (or 4 s), then goes, after it. */
  readonly reorder: number;
  /** The request waits up to 250 ms before it goes, and its answer as long before it comes back. */
  readonly delay: number;
  /** The request is taken and never answered, nor its connection closed, as a network that lost it says nothing. */
  readonly stall: number;
  /** A change stream is cut after up to 2 s. */
  readonly cutStream: number;
  /**
   * A change stream whose server end closed (the server killed, say) is left open towards the device, silent, as a
   * proxy that missed the close leaves it; otherwise it is closed.
   */
  readonly halfOpen: number;
}

/** The faults of a run with none. */
export const NO_FAULTS: FaultRates = { drop: 0, loseResponse: 0, duplicate: 0, reorder: 0, delay: 0, stall: 0, cutStream: 0, halfOpen: 0 };
