import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { streamSSE } from 'hono/streaming';
import * as v from 'valibot';
import { type AnyDefinedProjection, type EntityDefinitions, isEventfoldError } from 'eventfold';
import { MAX_JOURNAL_ID_LENGTH } from 'eventfold/postgres';
import { PROTOCOL_VERSION, PullQuerySchema, PushRequestSchema } from '../sync/protocol.ts';
import { type Authorize, bearerToken } from './authorization.ts';
import type { JournalHost } from './journal-host.ts';
import { JournalHosts, type SyncDatabase } from './journal-hosts.ts';
import { type RateLimit, RateLimiter } from './rate-limit.ts';
import { WireError } from './wire-error.ts';

/** Options of `createSyncServer`. */
export interface SyncServerOptions<D extends EntityDefinitions> {
  /**
   * Where the journals are, one journal per user or workspace: a database (`openPostgresDatabase`); a database with
   * a streaming replica, `{ primary, replica }`, that serves pulls; or shards over several servers
   * (`shardedDatabases`), each journal whole on one. The server does not close them.
   *
   * A replica serves a pull once it has replayed the journal's head and the device's last sequence number as the
   * primary has them (read there, one row), waiting `replicaWaitMs` at most, else the primary serves it: its answer
   * is the primary's, so neither the head nor the device's cursor goes back, and a device that just pushed finds its
   * outcomes. Pushes and change streams are the primary's.
   */
  readonly database: SyncDatabase;
  /** How long a pull waits for a replica to replay what it must answer before the primary answers. Default 100 ms. */
  readonly replicaWaitMs?: number;
  /** Told of each pull served, and whether a replica or the primary read it (for metrics). Must not throw. */
  readonly onPull?: (pull: { readonly journalId: string; readonly readFrom: 'primary' | 'replica' }) => void;
  /** The app's entity definitions, the same the devices run: the server decides every command again with them. */
  readonly entities: D;
  /**
   * Read models the server keeps of each journal, caught up after every push: documents in the database's
   * `documents` table, by projection and id, queryable with SQL (`doc` is `jsonb`).
   */
  readonly projections?: readonly AnyDefinedProjection[];
  /** Who may reach which journal (see `journalTokens` for signed tokens). */
  readonly authorize: Authorize;
  /** Whether a journal that does not exist yet is created by its first authorized request. Default `true`. */
  readonly createJournals?: boolean;
  /** The largest request body, in bytes. Default 4 MiB. */
  readonly maxBodyBytes?: number;
  /** Requests per journal (pushes, pulls, change streams). Default 200 in a burst, refilled at 200 a second. */
  readonly rateLimit?: RateLimit;
  /** Change streams open at once per journal. Default 64. */
  readonly maxStreamsPerJournal?: number;
  /**
   * How often an idle change stream is sent a keep-alive comment, in ms: it keeps proxies from closing the stream,
   * and tells the device the stream still lives (it reopens one silent past its `streamSilenceMs`). Default 15 s.
   */
  readonly keepAliveMs?: number;
  /**
   * The origins of apps served from elsewhere that may call the server from a browser (CORS), as `https://app.example`;
   * `'*'` for any. Default: none (the app and the server share an origin).
   */
  readonly allowedOrigins?: string | readonly string[];
  /** Stamps events and drives the rate limit. Default `Date.now`. */
  readonly clock?: () => number;
  /** Told of failures no response can carry (a journal that could not be read, a change stream that broke). */
  readonly onError?: (error: unknown) => void;
}

/** A sync server: its request handler, and a way to listen on a port. */
export interface SyncServer {
  /** Handles one request (the Fetch API's): to mount the server in another framework, or test it without a port. */
  readonly fetch: (request: Request) => Promise<Response>;
  /** Listens on `port` (0: any free one) of `hostname` (default `127.0.0.1`); resolves with its URL. */
  listen(port?: number, hostname?: string): Promise<ListeningServer>;
  /** Waits for the pushes under way and stops the read models' upkeep; later requests are answered 503. The database stays open. */
  close(): Promise<void>;
}

/** A server listening on a port. */
export interface ListeningServer {
  /** `http://host:port`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and ends every connection, change streams included. */
  close(): Promise<void>;
}

/** A journal id as it may appear in a path: what the database accepts, free of control characters. */
const JOURNAL_ID = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_JOURNAL_ID_LENGTH), v.regex(/^[^\u0000-\u001f\u007f]+$/u));

/**
 * The sync server of `eventfold/server`: devices push the commands they accepted offline and pull the journal's
 * confirmed events (see the README's "Sync protocol"). Every request is authorized for one journal; bodies are
 * bounded and validated; a journal's requests are rate-limited.
 *
 * - `POST /v1/journals/:journal/push` — `PushRequest` → `PushResponse`.
 * - `GET /v1/journals/:journal/pull?device=…&after=…&outcomesAfter=…&limit=…` → `PullResponse`.
 * - `GET /v1/journals/:journal/changes` — Server-Sent Events: `ready` once listening, then `change` whenever the
 *   journal may have new events (a wake-up only: pull to learn what changed).
 *
 * Errors are answered with a status and an `ErrorBody`: `{ error: { code, message, retryable } }`. The database's
 * failures (unreachable, restarting, its connection pool or disk full) are a retryable `503 unavailable` with a
 * `Retry-After`, as is a `429`: nothing of the request was stored, or what was is answered again on the retry.
 */
export function createSyncServer<D extends EntityDefinitions>(options: SyncServerOptions<D>): SyncServer {
  const { database, entities, authorize, createJournals = true, maxBodyBytes = 4 << 20, maxStreamsPerJournal = 64, keepAliveMs = 15_000 } = options;
  const clock = options.clock ?? Date.now;
  const onError = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // Nowhere left to report to.
    }
  };
  const limiter = new RateLimiter(options.rateLimit ?? { requests: 200, perMs: 1000 }, clock);
  const hosts = new JournalHosts({
    database,
    entities,
    clock,
    create: createJournals,
    onError,
    ...(options.projections && { projections: options.projections }),
    ...(options.replicaWaitMs !== undefined && { replicaWaitMs: options.replicaWaitMs }),
    ...(options.onPull && { onPull: options.onPull }),
  });
  const streams = new Map<string, number>();

  let closed = false;
  const hostOf = (journalId: string): Promise<JournalHost> => {
    if (closed) throw new WireError(503, 'unavailable', 'the server is stopping; try again');
    return hosts.hostOf(journalId);
  };

  /** The journal a request is for, once it is authorized and within its journal's rate. */
  const admitted = async (c: Context): Promise<JournalHost> => {
    const parsed = v.safeParse(JOURNAL_ID, c.req.param('journal'));
    if (!parsed.success) throw new WireError(400, 'invalid-request', 'the journal id is malformed');
    const journalId = parsed.output;
    if (!(await authorize(c.req.raw, journalId))) {
      if (bearerToken(c.req.raw) === undefined) throw new WireError(401, 'unauthorized', 'this request needs a token (Authorization: Bearer …)');
      throw new WireError(403, 'forbidden', 'this token does not open this journal');
    }
    const wait = limiter.take(journalId);
    if (wait > 0) throw new WireError(429, 'rate-limited', 'too many requests for this journal; slow down', { retryAfterMs: wait });
    try {
      return await hostOf(journalId);
    } catch (error) {
      if (isEventfoldError(error, 'invalid-argument')) throw new WireError(404, 'not-found', 'there is no such journal');
      throw error;
    }
  };

  const app = new Hono<{ Variables: { host: JournalHost } }>().basePath(`/${PROTOCOL_VERSION}/journals/:journal`);

  app.post(
    '/push',
    // Authorized (and counted against the journal's rate) before a byte of the body is read.
    async (c, next) => {
      c.set('host', await admitted(c));
      await next();
    },
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => {
        throw new WireError(413, 'too-large', `a push may hold at most ${maxBodyBytes} bytes`);
      },
    }),
    async (c) => {
      const host = c.get('host');
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new WireError(400, 'invalid-request', 'the body is not JSON');
      }
      const request = validated(PushRequestSchema, body, 'push');
      return c.json(await hosts.served(host, (on) => on.push(request)));
    },
  );

  app.get('/pull', async (c) => {
    const host = await admitted(c);
    const query = validated(PullQuerySchema, c.req.query(), 'pull query');
    return c.json(await hosts.served(host, (on) => on.pull(query)));
  });

  app.get('/changes', async (c) => {
    const host = await admitted(c);
    const journalId = host.journal.journalId;
    const open = streams.get(journalId) ?? 0;
    if (open >= maxStreamsPerJournal) throw new WireError(429, 'rate-limited', 'too many change streams on this journal');
    streams.set(journalId, open + 1);
    return streamSSE(c, async (stream) => {
      // Known before anything is awaited: a device that goes at any point ends the stream and what it holds.
      const gone = new Promise<void>((resolve) => stream.onAbort(resolve));
      let stop: (() => void) | undefined;
      let keepAlive: ReturnType<typeof setInterval> | undefined;
      try {
        // One wake-up waiting at most: a burst of commits is one `change`.
        let waking = false;
        stop = await host.journal.watch(() => {
          // The wake-up may be a move's fence, which this stream's host must hear of even if no push or pull comes.
          hosts.noticed(host);
          if (waking) return;
          waking = true;
          void stream
            .writeSSE({ event: 'change', data: '' })
            .catch(() => {})
            .finally(() => (waking = false));
        });
        if (!stream.aborted) await stream.writeSSE({ event: 'ready', data: '' });
        // Open until the device goes; a comment now and then keeps proxies from closing an idle stream.
        keepAlive = setInterval(() => void stream.write(': keep-alive\n\n').catch(() => {}), keepAliveMs);
        // A host retired (its journal moved) ends the stream: the device opens it again, on the journal's new shard.
        if (!stream.aborted) await Promise.race([gone, host.retired]);
      } catch (error) {
        // Told to the server's onError, never to the device: an error's text may say more than a device should hear.
        onError(error);
      } finally {
        clearInterval(keepAlive);
        stop?.();
        const left = (streams.get(journalId) ?? 1) - 1;
        if (left > 0) streams.set(journalId, left);
        else streams.delete(journalId);
      }
    });
  });

  app.notFound(() => errorResponse(new WireError(404, 'not-found', 'no such route')));
  app.onError((error) => {
    if (error instanceof WireError) return errorResponse(error);
    onError(error);
    if (isEventfoldError(error, 'storage-failed') || isEventfoldError(error, 'outcome-unknown') || isEventfoldError(error, 'closed')) {
      return errorResponse(new WireError(503, 'unavailable', 'the database is unavailable; try again'));
    }
    return errorResponse(new WireError(500, 'internal', 'the server failed on this request; try again'));
  });

  const root = new Hono();
  const { allowedOrigins } = options;
  if (allowedOrigins !== undefined) {
    root.use('*', cors({ origin: typeof allowedOrigins === 'string' ? allowedOrigins : [...allowedOrigins], allowHeaders: ['authorization', 'content-type'], allowMethods: ['GET', 'POST'], maxAge: 600 }));
  }
  root.route('/', app);
  root.notFound(() => errorResponse(new WireError(404, 'not-found', 'no such route')));
  const fetch = async (request: Request) => root.fetch(request);

  return {
    fetch,
    async close() {
      closed = true;
      await hosts.close();
    },
    listen: (port = 0, hostname = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        const server = serve({ fetch, port, hostname }, (info: AddressInfo) => {
          resolve({
            url: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${info.port}`,
            port: info.port,
            close: () =>
              new Promise<void>((done) => {
                server.close(() => done());
                (server as { closeAllConnections?: () => void }).closeAllConnections?.();
              }),
          });
        });
        server.once('error', reject);
      }),
  };
}

/** `input` checked against `schema`, or a 400 that says where it is wrong. */
function validated<S extends v.GenericSchema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
  throw new WireError(400, 'invalid-request', `the ${what} is invalid${path && ` at ${path}`}: ${issue.message}`, { path });
}

/** The `Retry-After` of a `503` (the database or the journal unavailable for now), in seconds. */
const UNAVAILABLE_RETRY_AFTER_S = 1;

/**
 * The response of an error: its status and body, with a `Retry-After` on a `429` (the rate limit's wait) and on a
 * `503` (`UNAVAILABLE_RETRY_AFTER_S`: the database restarting, its pool or disk full, the journal moving all pass).
 */
function errorResponse(error: WireError): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (error.status === 429 && typeof error.details.retryAfterMs === 'number') headers['retry-after'] = String(Math.ceil(error.details.retryAfterMs / 1000));
  if (error.status === 503) headers['retry-after'] = String(UNAVAILABLE_RETRY_AFTER_S);
  return new Response(JSON.stringify(error.body()), { status: error.status, headers });
}
