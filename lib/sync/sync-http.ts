import * as v from 'valibot';
import { SyncError } from '../core/errors.ts';
import {
  ErrorBodySchema,
  PROTOCOL_VERSION,
  type PullResponse,
  PullResponseSchema,
  type PushRequest,
  type PushResponse,
  PushResponseSchema,
} from './protocol.ts';

/** Where a device syncs, and as whom. */
export interface SyncConnection {
  /** The sync server's base URL, as `https://sync.example.com` (the path `/v1/journals/…` is added). */
  readonly url: string;
  /** The journal this device belongs to. */
  readonly journalId: string;
  /** The bearer token for the journal, asked for before every request (so that it can be renewed). */
  readonly token: () => string | Promise<string>;
  /**
   * How long a push or a pull may take, answer and body, before it counts as lost (a retryable `offline` failure):
   * a network that drops a connection without a word would otherwise hold the loop for as long as TCP waits.
   * Default 30 s.
   */
  readonly requestTimeoutMs?: number;
  /**
   * How long the change stream may stay silent before it counts as cut, and is opened again: the server sends a
   * keep-alive every 15 s (`createSyncServer`'s `keepAliveMs`), and a stream a proxy left half-open sends nothing.
   * Default 45 s; keep it above the server's keep-alive interval.
   */
  readonly streamSilenceMs?: number;
}

/**
 * The device's side of the protocol's requests: every answer validated with the protocol's schemas, every failure a
 * `SyncError` (`offline` when no answer came at all).
 */
export class SyncHttp {
  readonly #base: string;

  constructor(
    /** Where this device syncs, and as whom. */
    readonly connection: SyncConnection,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {
    this.#base = `${connection.url.replace(/\/+$/, '')}/${PROTOCOL_VERSION}/journals/${encodeURIComponent(connection.journalId)}`;
  }

  /** Pushes commands; resolves with their outcomes. */
  push(request: PushRequest, signal?: AbortSignal): Promise<PushResponse> {
    return this.#call('/push', PushResponseSchema, { method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json' }, signal });
  }

  /** Pulls the events after the device's cursor, and its outcomes after its last. */
  pull(query: { device: string; after: number; outcomesAfter: number; limit: number }, signal?: AbortSignal): Promise<PullResponse> {
    const search = new URLSearchParams({ device: query.device, after: String(query.after), outcomesAfter: String(query.outcomesAfter), limit: String(query.limit) });
    return this.#call(`/pull?${search}`, PullResponseSchema, { signal });
  }

  /**
   * Listens to the journal's change stream until `signal` aborts or the stream ends: `onReady` once it listens,
   * `onChange` for each wake-up. Resolves when the stream ends; rejects with a `SyncError` when it cannot open.
   */
  async changes(signal: AbortSignal, onReady: () => void, onChange: () => void): Promise<void> {
    const silenceMs = this.connection.streamSilenceMs ?? 45_000;
    // Silence from the first byte on (an answer that never comes included) ends the stream.
    const silence = new AbortController();
    let timer = setTimeout(() => silence.abort(), silenceMs);
    const heard = () => {
      clearTimeout(timer);
      timer = setTimeout(() => silence.abort(), silenceMs);
    };
    const silent = () => new SyncError('offline', `the change stream was silent for ${silenceMs} ms`, { retryable: true });
    let reader: ReadableStreamDefaultReader<string> | undefined;
    try {
      const response = await this.#request('/changes', { signal: anySignal(signal, silence.signal), headers: { accept: 'text/event-stream' } }).catch((error: unknown) => {
        throw silence.signal.aborted && !signal.aborted ? silent() : error;
      });
      if (!response.body) throw new SyncError('bad-answer', 'the change stream has no body', { status: response.status, retryable: true });
      reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      heard();
      await this.#readChanges(reader, heard, onReady, onChange);
    } catch (error) {
      if (signal.aborted) return;
      if (silence.signal.aborted) throw silent();
      throw error instanceof SyncError ? error : new SyncError('offline', 'the change stream was cut', { retryable: true, cause: error });
    } finally {
      clearTimeout(timer);
      // Cancelled, not only released: a stream left open would hold one of the few connections a browser opens to
      // one host.
      await reader?.cancel().catch(() => {});
    }
  }

  async #readChanges(reader: ReadableStreamDefaultReader<string>, heard: () => void, onReady: () => void, onChange: () => void): Promise<void> {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      heard();
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(message)?.[1];
        if (event === 'ready') onReady();
        else if (event === 'change') onChange();
      }
      // A stream that sends no message boundary is not the protocol's: bound what is kept of it.
      if (buffer.length > 65_536) throw new SyncError('bad-answer', 'the change stream sent an endless message', { retryable: true });
    }
  }

  /** A request and its answer's body within `requestTimeoutMs`, validated with `schema`. */
  async #call<S extends v.GenericSchema>(path: string, schema: S, init: RequestInit): Promise<v.InferOutput<S>> {
    const timeoutMs = this.connection.requestTimeoutMs ?? 30_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const caller = init.signal;
    const timedOut = (error: unknown) =>
      timeout.aborted && !caller?.aborted ? new SyncError('offline', `no answer to ${path.split('?')[0]} within ${timeoutMs} ms`, { retryable: true, cause: error }) : error;
    const signal = caller ? anySignal(caller, timeout) : timeout;
    const response = await this.#request(path, { ...init, signal }).catch((error: unknown) => {
      throw timedOut(error);
    });
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      if (signal.aborted) throw timedOut(error);
      throw new SyncError('bad-answer', `the answer to ${path.split('?')[0]} is not JSON`, { status: response.status, retryable: true, cause: error });
    }
    const parsed = v.safeParse(schema, body);
    if (!parsed.success) throw new SyncError('bad-answer', `the answer to ${path.split('?')[0]} is not the protocol's: ${parsed.issues[0].message}`, { status: response.status, retryable: true });
    return parsed.output;
  }

  /** A request with the token; an answer that is not 2xx is thrown as the `SyncError` its body describes. */
  async #request(path: string, init: RequestInit): Promise<Response> {
    const token = await this.connection.token();
    let response: Response;
    try {
      response = await this.fetcher(`${this.#base}${path}`, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` }, cache: 'no-store' });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new SyncError('offline', 'the sync server could not be reached', { retryable: true, cause: error });
    }
    if (response.ok) return response;
    const parsed = v.safeParse(ErrorBodySchema, await response.json().catch(() => undefined));
    if (!parsed.success) {
      throw new SyncError('bad-answer', `the server answered ${response.status} without the protocol's error body`, { status: response.status, retryable: response.status >= 500 || response.status === 429 });
    }
    const { code, message, retryable, ...details } = parsed.output.error;
    throw new SyncError(code, message, { status: response.status, retryable, details });
  }
}

/** A signal that aborts when either does (`AbortSignal.any`, which browsers before 2024 lack). */
function anySignal(first: AbortSignal, second: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([first, second]);
  const both = new AbortController();
  for (const signal of [first, second]) {
    if (signal.aborted) both.abort(signal.reason);
    else signal.addEventListener('abort', () => both.abort(signal.reason), { once: true });
  }
  return both.signal;
}
