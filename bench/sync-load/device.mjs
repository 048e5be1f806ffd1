// A simulated device of the load test: it speaks the sync protocol (lib/sync/protocol.ts) over HTTP on loopback,
// pushing one command at a time to an account of its journal and pulling from its cursor, and checks every answer.
// Anything but a well-formed answer that keeps the protocol's promises is counted as an error, by kind.
import { Agent, request } from 'node:http';

/** A request not answered in time. */
class RequestTimeout extends Error {
  /** @override */
  name = 'TimeoutError';
}

/** Requests sent once more after their reused connection turned out closed, and how long each had been idle. */
export class Retried {
  count = 0;
  /** @type {number[]} */
  idleMs = [];
}

/**
 * An HTTP client for loopback with a bounded keep-alive agent: at most `sockets` connections (a device has one, as a
 * browser's tab keeps one to its server), kept open between requests. Every request ends by `timeoutMs`, or when
 * `stop` aborts it.
 *
 * A request sent on a reused connection that the server closed as idle meanwhile (its keep-alive timeout, 5 s, which
 * the agent undercuts by 1 s) fails before any answer: it is sent once more on a new connection, as browsers do, and
 * counted in `retried` with how long the connection had been idle.
 * @param {string} baseUrl
 * @param {{ sockets: number, timeoutMs: number, stop: AbortSignal, retried: Retried }} options
 */
export function loopbackClient(baseUrl, { sockets, timeoutMs, stop, retried }) {
  // `timeout` set, the agent closes an idle connection before the server's keep-alive timeout (its hint, less 1 s);
  // without one, Node's agent keeps it until the server closes it, and the next request may meet the close.
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, timeout: timeoutMs });
  const { hostname, port } = new URL(baseUrl);
  /** When each connection last finished an answer. */
  const idleSince = new WeakMap();

  /**
   * @param {'GET' | 'POST'} method
   * @param {string} path
   * @param {Record<string, string | number>} headers
   * @param {string | undefined} payload
   * @returns {Promise<{ status: number, text: string }>}
   */
  const once = (method, path, headers, payload) =>
    new Promise((resolve, reject) => {
      if (stop.aborted) return reject(new DOMException('stopped', 'AbortError'));
      /** @type {import('node:net').Socket | undefined} */
      let socket;
      let answered = false;
      const req = request({ agent, hostname, port, method, path, headers }, (res) => {
        answered = true;
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => {
          done();
          if (socket) idleSince.set(socket, performance.now());
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.once('socket', (s) => (socket = s));
      // Timers of our own: a signal from AbortSignal.timeout can be collected before it fires.
      const timer = setTimeout(() => req.destroy(new RequestTimeout(`no answer in ${timeoutMs} ms`)), timeoutMs);
      const onStop = () => req.destroy(new DOMException('stopped', 'AbortError'));
      stop.addEventListener('abort', onStop, { once: true });
      const done = () => {
        clearTimeout(timer);
        stop.removeEventListener('abort', onStop);
      };
      /** @param {Error} error */
      function fail(error) {
        done();
        const code = /** @type {{ code?: string }} */ (error).code;
        const closedIdle = req.reusedSocket && !answered && (code === 'ECONNRESET' || code === 'EPIPE');
        reject(Object.assign(error, { closedIdle, idleMs: socket && idleSince.has(socket) ? performance.now() - idleSince.get(socket) : undefined }));
      }
      req.on('error', fail);
      req.end(payload);
    });

  return {
    /**
     * @param {'GET' | 'POST'} method
     * @param {string} path
     * @param {string} token
     * @param {unknown} [body]
     * @returns {Promise<{ status: number, text: string, ms: number }>}
     */
    async send(method, path, token, body) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      /** @type {Record<string, string | number>} */
      const headers = { authorization: `Bearer ${token}` };
      if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      const started = performance.now();
      try {
        return { ...(await once(method, path, headers, payload)), ms: performance.now() - started };
      } catch (error) {
        if (!(/** @type {any} */ (error).closedIdle)) throw error;
        retried.count++;
        retried.idleMs.push(/** @type {any} */ (error).idleMs ?? Number.NaN);
        return { ...(await once(method, path, headers, payload)), ms: performance.now() - started };
      }
    },
    /** Closes every connection. */
    close: () => agent.destroy(),
  };
}

/** @typedef {ReturnType<typeof loopbackClient>} LoopbackClient */

/**
 * What the devices of a run measured, together: latencies of answered requests, requests answered per second of the
 * load, outcomes, and errors by kind (with the first few of each, for the report). Requests begun before `from` (the
 * devices joining) count in `warmUp` only; errors count whenever they happen.
 */
export class LoadStats {
  /** @type {number[]} */ pushMs = [];
  /** @type {number[]} */ pullMs = [];
  /** @type {number[]} requests answered in each second of the load */ pushesPerSecond = [];
  /** @type {number[]} */ pullsPerSecond = [];
  pushes = 0;
  pulls = 0;
  confirmed = 0;
  rejected = 0;
  eventsPulled = 0;
  /** @type {Map<string, { count: number, examples: string[] }>} */
  errors = new Map();

  /** Requests answered that began before `from`. */
  warmUp = 0;

  /** @param {number} from  when the measured load begins (performance.now()) */
  constructor(from) {
    this.startedAt = from;
  }

  /**
   * Counts an answer, unless its request began before `from`.
   * @param {'push' | 'pull'} kind
   * @param {number} ms
   * @returns {boolean} whether it counted
   */
  answered(kind, ms) {
    if (performance.now() - ms < this.startedAt) {
      this.warmUp++;
      return false;
    }
    const second = Math.floor((performance.now() - this.startedAt) / 1000);
    const perSecond = kind === 'push' ? this.pushesPerSecond : this.pullsPerSecond;
    while (perSecond.length <= second) perSecond.push(0);
    perSecond[second] = (perSecond[second] ?? 0) + 1;
    (kind === 'push' ? this.pushMs : this.pullMs).push(ms);
    if (kind === 'push') this.pushes++;
    else this.pulls++;
    return true;
  }

  /**
   * @param {string} kind
   * @param {string} detail
   */
  error(kind, detail) {
    const entry = this.errors.get(kind) ?? { count: 0, examples: [] };
    entry.count++;
    if (entry.examples.length < 3) entry.examples.push(detail.slice(0, 300));
    this.errors.set(kind, entry);
  }

  get errorCount() {
    let count = 0;
    for (const { count: n } of this.errors.values()) count += n;
    return count;
  }
}

/** A protocol promise an answer broke. */
class Broken extends Error {
  /** @param {string} kind @param {string} message */
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/** @param {boolean} condition @param {string} message */
function expect(condition, message) {
  if (!condition) throw new Broken('protocol', message);
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A device: its id, its journal and token, its sequence numbers, its cursor, and what the server told it.
 */
export class LoadDevice {
  /** The device's last sequence number decided. */
  seq = 0;
  /** The position of the last event it pulled, and that event's id. */
  cursor = 0;
  /** @type {string | null} */
  cursorEventId = null;
  /** The last sequence number whose outcome it pulled. */
  outcomesAfter = 0;
  /** @type {Map<number, any>} outcomes by sequence number, as the pushes answered them */
  outcomes = new Map();
  /** @type {Map<number, string>} the command id of each of its confirmed events not pulled yet, by position */
  awaitedEvents = new Map();
  /** @type {{ seq: number, commandId: string, account: string, command: unknown } | undefined} a command not answered yet */
  pending;

  /**
   * @param {{ client: LoopbackClient, journalId: string, token: string, deviceId: string, accounts: readonly string[], random: () => number, thinkMs: readonly [number, number], encodeValue: (value: unknown, path: string) => unknown, decodeValue: (value: unknown) => unknown }} options
   */
  constructor(options) {
    this.options = options;
    /** Its connection to the server; another one for the pulls after the load. */
    this.client = options.client;
    const path = `/v1/journals/${encodeURIComponent(options.journalId)}`;
    this.pushPath = `${path}/push`;
    this.pullPath = `${path}/pull`;
  }

  /**
   * Pushes and pulls, with a think time after each round, until `until` (performance.now()); a request begun before
   * then is answered (or times out) before it returns.
   * @param {number} until
   * @param {LoadStats} stats
   * @param {number} rampMs  the device starts at random within this time
   */
  async run(until, stats, rampMs) {
    const { random, thinkMs } = this.options;
    // A thousand devices that connect in the same instant overflow the server's listen queue (511 connections in
    // Node): devices join over the ramp instead, as a fleet does.
    await sleep(random() * rampMs);
    while (performance.now() < until) {
      const pushed = await this.#attempt(stats, () => this.push(stats));
      if (performance.now() >= until) break;
      if (pushed) await this.#attempt(stats, () => this.pullToHead(until, stats));
      // A device that failed waits before it tries again, as the sync client backs off.
      else await sleep(thinkMs[1]);
      const think = thinkMs[0] + random() * (thinkMs[1] - thinkMs[0]);
      await sleep(Math.min(think, Math.max(0, until - performance.now())));
    }
  }

  /**
   * Runs one step, counting how it failed, if it did.
   * @param {LoadStats} stats
   * @param {() => Promise<unknown>} step
   * @returns {Promise<boolean>} whether it succeeded
   */
  async #attempt(stats, step) {
    try {
      await step();
      return true;
    } catch (error) {
      if (error instanceof Broken) stats.error(error.kind, `${this.options.deviceId}: ${error.message}`);
      else stats.error(/** @type {any} */ (error)?.name === 'TimeoutError' ? 'timeout' : /** @type {any} */ (error)?.name === 'AbortError' ? 'aborted' : 'network', `${this.options.deviceId}: ${String(error)}${/** @type {any} */ (error)?.idleMs === undefined ? '' : ` (the connection idle ${Math.round(/** @type {any} */ (error).idleMs)} ms before)`}`);
      return false;
    }
  }

  /** The next command: a deposit, or a withdrawal that the account's balance may refuse. */
  #nextCommand() {
    const { random, accounts, deviceId } = this.options;
    const account = accounts[Math.floor(random() * accounts.length)] ?? 'a0';
    const command = random() < 0.7 ? { type: 'deposit', amount: 1 + Math.floor(random() * 100) } : { type: 'withdraw', amount: 1 + Math.floor(random() * 200) };
    const seq = this.seq + 1;
    return { seq, commandId: `${deviceId}-${seq}`, account, command };
  }

  /**
   * Pushes its next command (or the one whose answer it has not had yet, under the same sequence number) and checks
   * the outcome: confirmed with one event, or rejected by the account.
   * @param {LoadStats} [stats]  where the push is counted; none for the set-up
   */
  async push(stats) {
    const { token, deviceId, encodeValue } = this.options;
    const { client } = this;
    this.pending ??= this.#nextCommand();
    const { seq, commandId, account, command } = this.pending;
    const body = { deviceId, commands: [{ seq, commandId, type: 'account', id: account, command: encodeValue(command, 'command') }] };
    const answer = await client.send('POST', this.pushPath, token, body);
    const response = answered(answer, 'push');
    expect(response.lastSeq === seq, `push ${seq}: lastSeq ${response.lastSeq}`);
    expect(Array.isArray(response.outcomes) && response.outcomes.length === 1, `push ${seq}: ${response.outcomes?.length} outcomes`);
    const [outcome] = response.outcomes;
    expect(outcome.seq === seq && outcome.commandId === commandId, `push ${seq}: the outcome of ${outcome.seq} ${outcome.commandId}`);
    if (outcome.status === 'confirmed') {
      expect(outcome.events === 1 && outcome.position > 0 && outcome.sequenceNr > 0, `push ${seq}: confirmed with ${outcome.events} events at ${outcome.position}`);
      this.awaitedEvents.set(outcome.position, commandId);
    } else {
      expect(outcome.status === 'rejected' && /insufficient funds/.test(outcome.reason), `push ${seq}: ${outcome.status} (${outcome.reason})`);
    }
    this.seq = seq;
    this.pending = undefined;
    this.outcomes.set(seq, outcome);
    if (stats?.answered('push', answer.ms)) {
      if (outcome.status === 'confirmed') stats.confirmed++;
      else stats.rejected++;
    }
    return outcome;
  }

  /**
   * Pulls from its cursor until it reaches the head the server answers with (before `until`), checking that the
   * events follow its cursor without a gap, that the event at its cursor is the one it holds, that its outcomes come
   * in order and equal what its pushes were told, and that each of its confirmed commands has its event where its
   * outcome said.
   * @param {number} until
   * @param {LoadStats} [stats]
   * @param {number} [limit]
   */
  async pullToHead(until, stats, limit = 1000) {
    const { token, deviceId, decodeValue } = this.options;
    const { client } = this;
    for (;;) {
      const query = `?device=${deviceId}&after=${this.cursor}&outcomesAfter=${this.outcomesAfter}&limit=${limit}`;
      const answer = await client.send('GET', this.pullPath + query, token);
      const response = answered(answer, 'pull');
      expect(response.head >= this.cursor, `pull after ${this.cursor}: head ${response.head}`);
      expect(response.lastSeq === this.seq || (this.pending !== undefined && response.lastSeq === this.pending.seq), `pull: lastSeq ${response.lastSeq}, the device's ${this.seq}`);
      expect(this.cursor === 0 ? response.cursorEventId === null : response.cursorEventId === this.cursorEventId, `pull after ${this.cursor}: the event there is ${response.cursorEventId}, not ${this.cursorEventId}`);
      let position = this.cursor;
      for (const event of response.events) {
        expect(event.position === position + 1, `pull after ${this.cursor}: position ${event.position} after ${position}`);
        position = event.position;
        const awaited = this.awaitedEvents.get(position);
        if (awaited !== undefined) {
          const causationId = /** @type {any} */ (decodeValue(event.metadata))?.causationId;
          expect(causationId === awaited, `the event at ${position} was caused by ${causationId}, not ${awaited}`);
          this.awaitedEvents.delete(position);
        }
        this.cursorEventId = event.eventId;
      }
      expect(position <= response.head, `pull: events up to ${position}, beyond the head ${response.head}`);
      let seq = this.outcomesAfter;
      for (const outcome of response.outcomes) {
        expect(outcome.seq === seq + 1, `pull: outcome ${outcome.seq} after ${seq}`);
        seq = outcome.seq;
        const pushed = this.outcomes.get(seq);
        // A push whose answer was lost has no outcome here yet: the pull's is the server's word.
        if (pushed) expect(canonical(pushed) === canonical(outcome), `pull: outcome ${seq} ${JSON.stringify(outcome)}, pushed ${JSON.stringify(pushed)}`);
        else this.outcomes.set(seq, outcome);
      }
      this.cursor = position;
      this.outcomesAfter = seq;
      if (stats?.answered('pull', answer.ms)) stats.eventsPulled += response.events.length;
      if (this.cursor >= response.head || performance.now() >= until) return response;
    }
  }
}

/** @param {object} value  a flat object, as JSON with its keys in order */
const canonical = (value) => JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))));

/**
 * The answer's body, when it is a 200 with JSON; a `Broken` of kind `http <status>` (with the server's error code)
 * otherwise.
 * @param {{ status: number, text: string }} answer
 * @param {string} what
 * @returns {any}
 */
function answered({ status, text }, what) {
  if (status !== 200) {
    let code = '';
    try {
      code = JSON.parse(text)?.error?.code ?? '';
    } catch {
      // Not JSON: the status says it.
    }
    throw new Broken(`${what} http ${status}${code && ` ${code}`}`, text.slice(0, 200));
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Broken('protocol', `${what}: the body is not JSON`);
  }
}
