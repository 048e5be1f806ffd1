/// <reference types="node" />
// The device's requests against a real HTTP server on loopback that misbehaves as broken networks and half-open
// proxies do: it takes a request and never answers, answers headers and never the body, or opens a change stream
// and then falls silent. Each must end with a retryable `SyncError`, never hang the sync loop.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncHttp } from './sync-http.ts';

let server: Server;
let url: string;
const held = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((request, response) => {
    held.add(response);
    response.on('close', () => held.delete(response));
    if (request.url?.includes('/changes')) {
      const silent = request.url.includes('silent');
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('event: ready\ndata: \n\n');
      // `keeps-talking`: a comment well within the silence allowed, for as long as the stream is open.
      if (!silent) {
        const timer = setInterval(() => response.write(': keep-alive\n\n'), 20);
        response.on('close', () => clearInterval(timer));
      }
      return;
    }
    // `headers-only`: the status line and headers arrive, the body never does.
    if (request.url?.includes('headers-only')) response.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
    // Otherwise the request is taken and never answered.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const response of held) response.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const http = (journalId: string, options: { requestTimeoutMs?: number; streamSilenceMs?: number } = {}) =>
  new SyncHttp({ url, journalId, token: () => 'token', ...options });

describe('a server that never answers', () => {
  it('fails a push with a retryable offline SyncError once requestTimeoutMs has passed', async () => {
    await expect(http('stall', { requestTimeoutMs: 200 }).push({ deviceId: 'd1', commands: [] })).rejects.toMatchObject({
      name: 'SyncError',
      reason: 'offline',
      retryable: true,
      message: expect.stringContaining('200 ms'),
    });
    // The request is given up, its connection closed: nothing is left open on the server.
    await expect.poll(() => held.size).toBe(0);
  });

  it('fails a pull whose body never comes the same way', async () => {
    await expect(http('headers-only', { requestTimeoutMs: 200 }).pull({ device: 'd1', after: 0, outcomesAfter: 0, limit: 10 })).rejects.toMatchObject({
      reason: 'offline',
      retryable: true,
    });
  });

  it('still ends a request at once when its caller aborts it, with the caller’s reason', async () => {
    const abort = new AbortController();
    const pushing = http('stall', { requestTimeoutMs: 60_000 }).push({ deviceId: 'd1', commands: [] }, abort.signal);
    abort.abort(new Error('stopped'));
    await expect(pushing).rejects.toThrow('stopped');
  });
});

describe('a change stream', () => {
  it('that falls silent for streamSilenceMs ends with a retryable SyncError, after telling it was ready', async () => {
    let ready = 0;
    await expect(http('silent', { streamSilenceMs: 200 }).changes(new AbortController().signal, () => ready++, () => {})).rejects.toMatchObject({
      reason: 'offline',
      retryable: true,
      message: expect.stringContaining('silent'),
    });
    expect(ready).toBe(1);
  });

  it('that keeps talking stays open until its caller aborts it', async () => {
    const abort = new AbortController();
    let ready = 0;
    // Fifty keep-alives within the silence allowed: a busy machine does not make this one silent.
    const listening = http('keeps-talking', { streamSilenceMs: 1_000 }).changes(abort.signal, () => ready++, () => {});
    let settled = false;
    void listening.finally(() => (settled = true)).catch(() => {});
    // Open for three times the silence allowed (a span the test is about, not a wait for a state), then closed by its
    // caller: it ends quietly.
    await expect.poll(() => ready).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(settled).toBe(false);
    abort.abort();
    await expect(listening).resolves.toBeUndefined();
  });
});
