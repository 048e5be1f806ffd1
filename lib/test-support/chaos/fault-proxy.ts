/// <reference types="node" />
// An HTTP proxy on loopback between devices and a sync server that misbehaves as networks do: each device reaches
// the server at `<proxy>/d/<device>/…`, and each of its requests may be dropped before the server sees it, answered
// by the server and then lost, delivered twice, held back until the device's next request has gone ahead, delayed,
// or stalled (never answered, before or after the server answered); a change stream may be cut, or left open and
// silent when the server's end closed; a device may be taken offline (its requests refused, its change streams cut).
// Decisions come from one seeded generator per device: a run's faults are drawn from its seed, though which request
// meets which follows the order timing gives the requests.
import { type IncomingMessage, request as forward, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { seededRandom } from '../seeded-random.ts';
import { type FaultRates, NO_FAULTS } from './fault-rates.ts';

/** What befell one request. */
export type FaultKind = keyof FaultRates | 'offline' | 'server-down' | 'passed';

/** One line of the trace: a request of a device, and what befell it. */
export interface TraceLine {
  /** Milliseconds since the proxy started. */
  readonly at: number;
  readonly device: string;
  /** The device's n-th request. */
  readonly n: number;
  /** `POST push`, `GET pull`, `GET changes`. */
  readonly request: string;
  readonly fault: FaultKind;
  /** The status the server answered with, when it answered. */
  readonly status?: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  /** The base URL of `device`: its requests go through the proxy with its faults. */
  urlOf(device: string): string;
  /** Sets the fault rates of new requests. */
  setRates(rates: FaultRates): void;
  /** Takes `device` offline (refused requests, change streams cut) or back online. */
  setOffline(device: string, offline: boolean): void;
  /** Every request so far, in the order they were decided. */
  trace(): readonly TraceLine[];
  /** Requests by what befell them. */
  counts(): Readonly<Record<FaultKind, number>>;
  /** The statuses the server answered with, by status. */
  statuses(): Readonly<Record<number, number>>;
  close(): Promise<void>;
}

const BODY_LIMIT = 8 << 20;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

interface DeviceLine {
  readonly random: () => number;
  requests: number;
  offline: boolean;
  /** Requests held back for reordering, released by the device's next request. */
  readonly held: Set<() => void>;
  /** The device's open change streams, to cut. */
  readonly streams: Set<() => void>;
}

/**
 * Starts a fault proxy in front of the server at `target` (`http://127.0.0.1:port`), on a free loopback port.
 * `seed` seeds every device's faults.
 */
export async function startFaultProxy({ target, seed, rates: initialRates = NO_FAULTS }: { target: string; seed: number; rates?: FaultRates }): Promise<FaultProxy> {
  const began = performance.now();
  const targetUrl = new URL(target);
  let rates = initialRates;
  const devices = new Map<string, DeviceLine>();
  const lines: TraceLine[] = [];
  const counts = Object.fromEntries((['drop', 'loseResponse', 'duplicate', 'reorder', 'delay', 'stall', 'cutStream', 'halfOpen', 'offline', 'server-down', 'passed'] as const).map((kind) => [kind, 0])) as Record<FaultKind, number>;
  const statuses: Record<number, number> = {};
  const sockets = new Set<Socket>();

  const deviceLine = (device: string): DeviceLine => {
    let line = devices.get(device);
    if (!line) {
      line = { random: seededRandom(seed ^ hash(device)), requests: 0, offline: false, held: new Set(), streams: new Set() };
      devices.set(device, line);
    }
    return line;
  };
  const note = (line: Omit<TraceLine, 'at'>) => {
    lines.push({ at: Math.round(performance.now() - began), ...line });
    counts[line.fault]++;
    if (line.status !== undefined) statuses[line.status] = (statuses[line.status] ?? 0) + 1;
  };

  /** Sends one copy of the request to the server; resolves with its whole answer, or undefined if it is down. */
  const sendOn = (incoming: IncomingMessage, path: string, body: Buffer): Promise<Answer | undefined> =>
    new Promise((resolve) => {
      const outgoing = forward(
        { host: targetUrl.hostname, port: targetUrl.port, method: incoming.method, path, headers: { ...incoming.headers, host: targetUrl.host, 'content-length': String(body.length) }, agent: false },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
          answer.on('error', () => resolve(undefined));
        },
      );
      outgoing.on('error', () => resolve(undefined));
      outgoing.end(body);
    });

  const cut = (response: ServerResponse) => response.socket?.destroy();

  const relayStream = (incoming: IncomingMessage, response: ServerResponse, path: string, device: DeviceLine, record: (fault: FaultKind, status?: number) => void) => {
    const outgoing = forward({ host: targetUrl.hostname, port: targetUrl.port, method: incoming.method, path, headers: { ...incoming.headers, host: targetUrl.host }, agent: false }, (answer) => {
      const fault = device.random() < rates.cutStream ? 'cutStream' : 'passed';
      record(fault, answer.statusCode);
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
      // The server's end closed before the stream ended (the server was killed): the device's end is closed too, or
      // left open and silent, as a proxy that missed the close leaves it.
      answer.on('error', () => {});
      answer.on('close', () => {
        if (answer.complete || response.destroyed) return;
        if (device.random() < rates.halfOpen) record('halfOpen');
        else cut(response);
      });
      const end = () => {
        outgoing.destroy();
        cut(response);
      };
      device.streams.add(end);
      const timer = fault === 'cutStream' ? setTimeout(end, 50 + device.random() * 2000) : undefined;
      response.on('close', () => {
        clearTimeout(timer);
        device.streams.delete(end);
        outgoing.destroy();
      });
    });
    outgoing.on('error', () => {
      record('server-down');
      cut(response);
    });
    outgoing.end();
  };

  const handle = async (incoming: IncomingMessage, response: ServerResponse) => {
    const match = /^\/d\/([^/]+)(\/.*)$/u.exec(incoming.url ?? '');
    if (!match) {
      response.writeHead(404).end();
      return;
    }
    const name = decodeURIComponent(match[1]!);
    const path = match[2]!;
    const device = deviceLine(name);
    const n = ++device.requests;
    const kind = `${incoming.method} ${/\/(push|pull|changes)\b/u.exec(path)?.[1] ?? path}`;
    const record = (fault: FaultKind, status?: number) => note({ device: name, n, request: kind, fault, ...(status !== undefined && { status }) });

    // The device's next request lets the ones held back for it go (behind it).
    const held = [...device.held];
    device.held.clear();
    if (device.offline) {
      record('offline');
      cut(response);
      for (const release of held) release();
      return;
    }
    if (path.includes('/changes') && incoming.method === 'GET') {
      relayStream(incoming, response, path, device, record);
      for (const release of held) release();
      return;
    }

    const body = await readBody(incoming);
    const draw = device.random();
    let fault: FaultKind = 'passed';
    let edge = 0;
    for (const kind of ['drop', 'loseResponse', 'duplicate', 'reorder', 'delay', 'stall'] as const) {
      edge += rates[kind];
      if (draw < edge) {
        fault = kind;
        break;
      }
    }
    const delay = fault === 'delay' ? device.random() * 250 : 0;
    const answerFirst = device.random() < 0.5;

    if (fault === 'reorder') {
      await new Promise<void>((resolve) => {
        // Longer than a device waits for an answer: its retry goes first, and this copy arrives after it, stale.
        const timer = setTimeout(release, 4000);
        function release() {
          clearTimeout(timer);
          device.held.delete(release);
          resolve();
        }
        device.held.add(release);
        setImmediate(() => held.forEach((release) => release()));
      });
    } else {
      setImmediate(() => held.forEach((release) => release()));
    }
    if (body === undefined || fault === 'drop' || device.offline) {
      record(device.offline ? 'offline' : 'drop');
      cut(response);
      return;
    }
    if (fault === 'stall') {
      // Silence: half the time after the server has answered (a push decided, its answer never to come).
      const answer = answerFirst ? await sendOn(incoming, path, body) : undefined;
      record('stall', answer?.status);
      return;
    }
    if (delay > 0) await sleep(delay);
    const copies = fault === 'duplicate' ? [sendOn(incoming, path, body), sendOn(incoming, path, body)] : [sendOn(incoming, path, body)];
    const answers = await Promise.all(copies);
    const answer = fault === 'duplicate' && !answerFirst ? answers[1] : answers[0];
    if (!answer) {
      record('server-down');
      cut(response);
      return;
    }
    record(fault, answer.status);
    if (delay > 0) await sleep(delay);
    if (fault === 'loseResponse' || device.offline) {
      cut(response);
      return;
    }
    const { 'content-length': _length, 'transfer-encoding': _encoding, connection: _connection, ...headers } = answer.headers;
    response.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) }).end(answer.body);
  };

  const server: Server = createServer((incoming, response) => {
    handle(incoming, response).catch(() => cut(response));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    urlOf: (device) => `${url}/d/${encodeURIComponent(device)}`,
    setRates(next) {
      rates = next;
    },
    setOffline(device, offline) {
      const line = deviceLine(device);
      line.offline = offline;
      if (offline) for (const end of [...line.streams]) end();
    },
    trace: () => lines,
    counts: () => ({ ...counts }),
    statuses: () => ({ ...statuses }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const line of devices.values()) for (const release of line.held) release();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** The whole body, or undefined when the device went away first or it is too large. */
function readBody(incoming: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) incoming.destroy();
      else chunks.push(chunk);
    });
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', () => resolve(undefined));
    incoming.on('close', () => resolve(incoming.complete ? Buffer.concat(chunks) : undefined));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A 32-bit FNV-1a hash of `text`: each device its own stream of draws from one seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
