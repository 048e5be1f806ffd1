// The sync server on PGlite and on a real PostgreSQL server: devices' commands decided again on the journal, outcomes
// durable and answered again on a retry, journals closed to tokens of other journals, wire input refused with typed
// errors before anything is stored.
import { defineEntity, randomId, reject } from 'eventfold';
import { encodeValue, decodeValue } from 'eventfold/kit';
import type { PostgresDatabase } from 'eventfold/postgres';
import { createSyncServer, journalTokens, type SyncServer } from 'eventfold/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTargets } from '../test-support/postgres-targets.ts';
import type { Outcome, PullResponse, PushedCommand, PushResponse } from '../sync/protocol.ts';
import { account } from '../test-support/bank-account.ts';

/** An entity whose events carry what JSON cannot: a Map, a Date, a BigInt. */
const ledger = defineEntity<{ entries: Map<string, bigint>; last?: Date }, { type: 'record'; key: string; amount: bigint; at: Date } | { type: 'explode' }, { type: 'recorded'; key: string; amount: bigint; at: Date }>({
  initialState: () => ({ entries: new Map() }),
  decide(command) {
    if (command.type === 'explode') throw new Error('the decider broke');
    return [{ type: 'recorded', key: command.key, amount: command.amount, at: command.at }];
  },
  evolve: (state, event) => ({ entries: new Map([...state.entries, [event.key, event.amount]]), last: event.at }),
  events: { recorded: {} },
});

const entities = { account, ledger };
const secret = 'a test secret of at least thirty-two bytes';

function describeServer(name: string, open: () => Promise<{ database: PostgresDatabase; done: () => Promise<void> }>) {
  describe(`the sync server, on ${name}`, () => {
    let database: PostgresDatabase;
    let done = async () => {};
    let server: SyncServer;
    const tokens = journalTokens({ secret });
    beforeAll(async () => {
      ({ database, done } = await open());
      server = createSyncServer({ database, entities, authorize: tokens.authorize, onError: (error) => console.error('sync server:', error) });
    }, 60_000);
    afterAll(() => done());

    /** A journal of its own for a test, with a token for it, and calls that speak the protocol. */
    const journal = async () => {
      const id = `j-${randomId()}`;
      const token = await tokens.issue(id);
      const call = (path: string, init: RequestInit = {}, as = token) =>
        server.fetch(new Request(`http://sync.test/v1/journals/${encodeURIComponent(id)}${path}`, { ...init, headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json', ...init.headers } }));
      const pushRaw = (body: unknown, as?: string) => call('/push', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) }, as);
      const push = async (deviceId: string, commands: PushedCommand[]): Promise<PushResponse> => {
        const response = await pushRaw({ deviceId, commands });
        expect(response.status, await response.clone().text()).toBe(200);
        return response.json();
      };
      const pull = async (device: string, after = 0, outcomesAfter = 0): Promise<PullResponse> => {
        const response = await call(`/pull?device=${device}&after=${after}&outcomesAfter=${outcomesAfter}`);
        expect(response.status, await response.clone().text()).toBe(200);
        return response.json();
      };
      return { id, token, call, pushRaw, push, pull };
    };
    let counter = 0;
    const command = (seq: number, id: string, body: unknown, type = 'account'): PushedCommand => ({
      seq,
      commandId: `c-${++counter}-${randomId()}`,
      type,
      id,
      command: encodeValue(body, 'command'),
    });
    const statuses = (outcomes: readonly Outcome[]) => outcomes.map((outcome) => outcome.status);

    it('decides pushed commands on the journal, and a pull returns their events with their outcomes', async () => {
      const { push, pull } = await journal();
      const deposit = command(1, 'acc', { type: 'deposit', amount: 100 });
      const answer = await push('device-a', [deposit, command(2, 'acc', { type: 'withdraw', amount: 30 })]);
      expect(answer.lastSeq).toBe(2);
      expect(statuses(answer.outcomes)).toEqual(['confirmed', 'confirmed']);
      const pulled = await pull('device-a');
      expect(pulled.events.map((event) => [event.streamId, event.sequenceNr, decodeValue(event.event)])).toEqual([
        ['account:acc', 1, { type: 'deposited', amount: 100 }],
        ['account:acc', 2, { type: 'withdrawn', amount: 30 }],
      ]);
      expect((decodeValue(pulled.events[0]!.metadata) as { causationId: string }).causationId).toBe(deposit.commandId);
      expect(pulled.outcomes).toEqual(answer.outcomes);
      expect(answer.outcomes.map((outcome) => outcome.status === 'confirmed' && outcome.position)).toEqual(pulled.events.map((event) => event.position));
      expect(pulled.head).toBe(pulled.events.at(-1)!.position);
    });

    it('answers a retried push with the stored outcomes and stores nothing again', async () => {
      const { push, pull } = await journal();
      const batch = [command(1, 'acc', { type: 'deposit', amount: 10 }), command(2, 'acc', { type: 'withdraw', amount: 50 })];
      const first = await push('device-a', batch);
      const again = await push('device-a', batch);
      expect(again).toEqual(first);
      // A retry that overlaps: the decided part answered, the new part decided.
      const third = await push('device-a', [...batch, command(3, 'acc', { type: 'deposit', amount: 5 })]);
      expect(third.outcomes.slice(0, 2)).toEqual(first.outcomes);
      expect(statuses(third.outcomes)).toEqual(['confirmed', 'rejected', 'confirmed']);
      expect((await pull('device-a')).events.map((event) => event.sequenceNr)).toEqual([1, 2]);
    });

    it('rejects exactly one of two devices that overdraw an account offline, and the rejection stays', async () => {
      const { push, pull } = await journal();
      await push('device-a', [command(1, 'acc', { type: 'deposit', amount: 100 })]);
      const a = await push('device-a', [command(2, 'acc', { type: 'withdraw', amount: 80 })]);
      const withdrawB = command(1, 'acc', { type: 'withdraw', amount: 80 });
      const b = await push('device-b', [withdrawB]);
      expect(statuses(a.outcomes)).toEqual(['confirmed']);
      expect(b.outcomes).toEqual([{ seq: 1, commandId: withdrawB.commandId, status: 'rejected', reason: 'insufficient funds: 20 available, 80 asked' }]);
      // The funds come later; the retried command keeps its outcome: it was decided once.
      await push('device-a', [command(3, 'acc', { type: 'deposit', amount: 500 })]);
      expect((await push('device-b', [withdrawB])).outcomes).toEqual(b.outcomes);
      const pulled = await pull('device-b');
      expect(pulled.outcomes).toEqual(b.outcomes);
      expect(pulled.events.map((event) => decodeValue(event.event))).toEqual([
        { type: 'deposited', amount: 100 },
        { type: 'withdrawn', amount: 80 },
        { type: 'deposited', amount: 500 },
      ]);
    });

    it('refuses a push that skips sequence numbers or reuses one for another command', async () => {
      const { pushRaw, push } = await journal();
      await push('device-a', [command(1, 'acc', { type: 'deposit', amount: 1 })]);
      const skipped = await pushRaw({ deviceId: 'device-a', commands: [command(3, 'acc', { type: 'deposit', amount: 1 })] });
      expect(skipped.status).toBe(409);
      expect((await skipped.json()).error).toMatchObject({ code: 'out-of-order', expectedSeq: 2, retryable: false });
      const reused = await pushRaw({ deviceId: 'device-a', commands: [command(1, 'acc', { type: 'deposit', amount: 1 })] });
      expect(reused.status).toBe(409);
      expect((await reused.json()).error).toMatchObject({ code: 'sequence-reused', seq: 1 });
      const gap = await pushRaw({ deviceId: 'device-a', commands: [command(2, 'acc', { type: 'deposit', amount: 1 }), command(4, 'acc', { type: 'deposit', amount: 1 })] });
      expect(gap.status).toBe(400);
      expect((await gap.json()).error.code).toBe('invalid-request');
    });

    it('answers a command sent again under a new sequence number with its first outcome, deciding it once', async () => {
      const { push, pull } = await journal();
      const withdraw = command(2, 'acc', { type: 'withdraw', amount: 30 });
      await push('device-a', [command(1, 'acc', { type: 'deposit', amount: 50 }), withdraw]);
      const again = await push('device-a', [{ ...withdraw, seq: 3 }, command(4, 'acc', { type: 'withdraw', amount: 15 })]);
      expect(again.outcomes.map((outcome) => [outcome.seq, outcome.status])).toEqual([
        [3, 'confirmed'],
        [4, 'confirmed'],
      ]);
      expect((await pull('device-a')).events.map((event) => decodeValue(event.event))).toEqual([
        { type: 'deposited', amount: 50 },
        { type: 'withdrawn', amount: 30 },
        { type: 'withdrawn', amount: 15 },
      ]);
    });

    it('refuses commands meant for an earlier life of the journal, and says where the device stands when seqs disagree', async () => {
      const { pushRaw, push, pull } = await journal();
      await push('device-a', [command(1, 'acc', { type: 'deposit', amount: 1 })]);
      const { epoch } = await pull('device-a');
      const stale = await pushRaw({ deviceId: 'device-a', epoch: 'an-older-epoch', commands: [command(2, 'acc', { type: 'deposit', amount: 1 })] });
      expect(stale.status).toBe(409);
      expect((await stale.json()).error).toMatchObject({ code: 'epoch-changed', epoch });
      const reused = await pushRaw({ deviceId: 'device-a', epoch, commands: [command(1, 'acc', { type: 'deposit', amount: 1 })] });
      expect((await reused.json()).error).toMatchObject({ code: 'sequence-reused', lastSeq: 1 });
      const current = await push('device-a', [command(2, 'acc', { type: 'deposit', amount: 1 })].map((pushed) => ({ ...pushed })));
      expect(current.lastSeq).toBe(2);
      expect((await pull('device-a', 1)).cursorEventId).toBe((await pull('device-a')).events[0]!.eventId);
    });

    it('lets go of a change stream whose device went away, however early', async () => {
      const { id, token } = await journal();
      const listening = await server.listen();
      try {
        // More than a journal's bound on streams, each dropped at once: none may stay counted.
        for (let i = 0; i < 80; i++) {
          const aborted = new AbortController();
          const opened = fetch(`${listening.url}/v1/journals/${id}/changes`, { headers: { authorization: `Bearer ${token}` }, signal: aborted.signal });
          aborted.abort();
          await opened.catch(() => {});
        }
        const aborted = new AbortController();
        await expect.poll(async () => {
          const response = await fetch(`${listening.url}/v1/journals/${id}/changes`, { headers: { authorization: `Bearer ${token}` }, signal: aborted.signal });
          const status = response.status;
          await response.body?.cancel().catch(() => {});
          return status;
        }).toBe(200);
        aborted.abort();
      } finally {
        await listening.close();
      }
    });

    it('gives commands it cannot decide a durable outcome, and decides the ones after them', async () => {
      const { push, pull } = await journal();
      const newer = { ...command(2, 'book', { type: 'record' }, 'ledger'), predicted: [{ type: 'recorded', schemaVersion: 2 }] };
      const answer = await push('device-a', [
        command(1, 'x', { type: 'anything' }, 'spaceship'),
        newer,
        { ...command(3, 'book', { type: 'record' }, 'ledger'), predicted: [{ type: 'renamed', schemaVersion: 1 }] },
        command(4, 'book', { type: 'explode' }, 'ledger'),
        command(5, 'acc', { type: 'deposit', amount: 7 }),
      ]);
      expect(statuses(answer.outcomes)).toEqual(['unsupported', 'unsupported', 'unsupported', 'failed', 'confirmed']);
      expect(answer.outcomes[0]).toMatchObject({ reason: expect.stringContaining('"spaceship"') });
      expect(answer.outcomes[1]).toMatchObject({ reason: expect.stringContaining('up to version 1, not 2') });
      expect(answer.outcomes[3]).toMatchObject({ reason: expect.stringContaining('the decider broke') });
      expect((await pull('device-a')).events).toHaveLength(1);
    });

    it('carries Maps, Dates and BigInts in commands and events, as they were', async () => {
      const { push, pull } = await journal();
      const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
      const answer = await push('device-a', [command(1, 'book', { type: 'record', key: '__proto__', amount: 2n ** 70n, at }, 'ledger')]);
      expect(statuses(answer.outcomes)).toEqual(['confirmed']);
      const [event] = (await pull('device-a')).events;
      expect(decodeValue(event!.event)).toEqual({ type: 'recorded', key: '__proto__', amount: 2n ** 70n, at });
    });

    it('lets a token into its own journal only: pushes, pulls and change streams of another are refused', async () => {
      const a = await journal();
      const b = await journal();
      await a.push('device-a', [command(1, 'acc', { type: 'deposit', amount: 100 })]);
      const intruder = await b.pushRaw({ deviceId: 'device-b', commands: [command(1, 'acc', { type: 'withdraw', amount: 100 })] }, a.token);
      expect(intruder.status).toBe(403);
      expect((await intruder.json()).error.code).toBe('forbidden');
      for (const path of ['/pull?device=device-a&after=0', '/changes']) {
        const foreign = await b.call(path, {}, a.token);
        expect(foreign.status).toBe(403);
        const anonymous = await b.call(path, {}, '');
        expect(anonymous.status).toBe(401);
        // One character of the signature changed, away from its end: base64url's last character carries unused
        // bits, so changing only the end can leave the signature as it was.
        const at = a.token.length - 6;
        const forged = await a.call(path, {}, `${a.token.slice(0, at)}${a.token[at] === 'A' ? 'B' : 'A'}${a.token.slice(at + 1)}`);
        expect(forged.status).toBe(403);
      }
      // Nothing of A reached B, and B's own pull sees an empty journal.
      const ofB = await b.pull('device-a');
      expect(ofB.events).toEqual([]);
      expect(ofB.head).toBe(0);
      expect((await a.pull('device-a')).events).toHaveLength(1);
    });

    it('refuses malformed, oversized and polluting input with a typed error, storing nothing', async () => {
      const { pushRaw, pull, call } = await journal();
      const cases: [unknown, number, string][] = [
        ['{not json', 400, 'invalid-request'],
        [{ deviceId: 'device a', commands: [command(1, 'acc', { type: 'deposit', amount: 1 })] }, 400, 'invalid-request'],
        [{ deviceId: 'device-a', commands: [] }, 400, 'invalid-request'],
        [{ deviceId: 'device-a', commands: [{ ...command(1, 'acc', {}), extra: true }] }, 400, 'invalid-request'],
        [{ deviceId: 'device-a', commands: [{ ...command(1, 'acc', {}), seq: 1.5 }] }, 400, 'invalid-request'],
        ['{"deviceId":"device-a","__proto__":{"polluted":true},"commands":[]}', 400, 'invalid-request'],
        [{ deviceId: 'device-a', commands: [command(1, 'acc', { padding: 'x'.repeat(5 << 20) })] }, 413, 'too-large'],
      ];
      for (const [body, status, code] of cases) {
        const response = await pushRaw(body);
        expect(response.status, JSON.stringify(body).slice(0, 200)).toBe(status);
        const { error } = await response.json();
        expect(error).toMatchObject({ code, retryable: false, message: expect.any(String) });
      }
      // Commands whose values cannot be read are answered, not refused: each gets a durable outcome, and nothing is
      // stored for it, so that the commands after it are decided.
      const unreadable = await pushRaw(
        `{"deviceId":"device-b","commands":[${[
          '{"seq":1,"commandId":"c1","type":"account","id":"acc","command":{"type":"deposit","amount":1,"__proto__":{"polluted":true}}}',
          '{"seq":2,"commandId":"c2","type":"account","id":"acc","command":{"$":"Date","v":"not a time"}}',
          '{"seq":3,"commandId":"c3","type":"account","id":"acc","command":{"$":"Graph","v":{"$":"ref","v":7},"objects":[]}}',
        ].join(',')}]}`,
      );
      expect(unreadable.status).toBe(200);
      const answered = (await unreadable.json()) as PushResponse;
      expect(answered.outcomes.map((outcome) => outcome.status)).toEqual(['unsupported', 'unsupported', 'unsupported']);
      expect(answered.outcomes[0]).toMatchObject({ reason: expect.stringContaining('__proto__') });
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
      for (const query of ['?device=device-a', '?device=device-a&after=-1', '?device=a%20b&after=0', '?device=device-a&after=0&limit=0', '?device=device-a&after=0&extra=1']) {
        const response = await call(`/pull${query}`);
        expect(response.status, query).toBe(400);
      }
      expect((await pull('device-a')).head).toBe(0);
    });

    it('bounds requests per journal with a retryable 429', async () => {
      let now = 0;
      const limited = createSyncServer({ database, entities, authorize: tokens.authorize, rateLimit: { requests: 2, perMs: 1000 }, clock: () => now });
      const id = `j-${randomId()}`;
      const token = await tokens.issue(id);
      const pull = () => limited.fetch(new Request(`http://sync.test/v1/journals/${id}/pull?device=d&after=0`, { headers: { authorization: `Bearer ${token}` } }));
      expect((await pull()).status).toBe(200);
      expect((await pull()).status).toBe(200);
      const refused = await pull();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await refused.json()).error).toMatchObject({ code: 'rate-limited', retryable: true });
      now += 500;
      expect((await pull()).status).toBe(200);
    });

    it('wakes a change stream when another device pushes', async () => {
      const { id, token, push } = await journal();
      const listening = await server.listen();
      const aborted = new AbortController();
      try {
        const response = await fetch(`${listening.url}/v1/journals/${id}/changes`, { headers: { authorization: `Bearer ${token}` }, signal: aborted.signal });
        expect(response.headers.get('content-type')).toContain('text/event-stream');
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = '';
        const until = async (word: string) => {
          while (!text.includes(word)) text += (await reader.read()).value ?? '';
        };
        await until('event: ready');
        await push('device-b', [command(1, 'acc', { type: 'deposit', amount: 1 })]);
        await until('event: change');
      } finally {
        aborted.abort();
        await listening.close();
      }
    });
  });
}

for (const [name, open] of postgresTargets('eventfold_sync')) describeServer(name, open);
