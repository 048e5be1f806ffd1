// What the harness page offers the reliability tests, as plain types: the tests (Node) and the page (browser) share
// them without sharing code.

/** What IndexedDB holds, read raw: no eventfold code between the test and the bytes. */
export interface DatabaseContents {
  events: { streamId: string; sequenceNr: number; event: { type: string; amount?: number; owner?: string }; position: number; causationId: string }[];
  snapshots: { streamId: string; sequenceNr: number; state: unknown }[];
  documents: { projection: string; id: string; doc: unknown }[];
  checkpoints: { projection: string; position: number }[];
}

/** The account state the demo's bank keeps. */
export interface AccountView {
  owner: string | null;
  balance: number;
  txCount: number;
}

/** The harness, as `window.harness`. */
export interface Harness {
  /** Opens `accounts` accounts (acc-0, acc-1…) unless they are open already; after a storage failure, tries again once. */
  open(accounts: number, retried?: boolean): Promise<void>;
  /**
   * Sends `count` random deposits and withdrawals over `accounts` accounts, `inFlight` at a time, each with the
   * command id `${tag}-${i}`; reports each acknowledged one to `window.ack` the moment it resolves.
   */
  burst(tag: string, count: number, accounts: number, inFlight: number): Promise<{ acknowledged: number; rejected: number; conflicts: number }>;
  state(id: string): Promise<{ state: AccountView; sequenceNr: number }>;
  readDatabase(): Promise<DatabaseContents>;
  /** Whether the client was told that the worker found its stored data deleted by the browser. */
  storageLost(): boolean;
  /** Seeds what `burst` and `random` draw (see `seededRandom`). */
  seed(seed: number): void;
  /** The next number in [0, 1) from the seeded generator. */
  random(): number;
}
