// A catalogue of bad inputs across the public API, sent from the page through the client to a real worker and a
// real IndexedDB journal: each must be answered by a typed error, with nothing stored anywhere.
import { isEventfoldError } from 'eventfold';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestClient, testClients } from '../test-support/test-clients.ts';

class Money {
  constructor(readonly cents: number) {}
}

const deeplyNested = () => {
  let value: unknown = { type: 'deposit', amount: 1 };
  for (let i = 0; i < 10_000; i++) value = { value };
  return value;
};

/** Each bad input: how to send it, and the code of the error it must get. */
const catalogue: [name: string, code: string, send: (client: TestClient) => Promise<unknown>][] = [
  ['an unknown entity type', 'invalid-argument', (c) => c.send('nope' as 'account', 'victim', { type: 'deposit', amount: 1 })],
  ['an empty entity id', 'invalid-argument', (c) => c.send('account', '', { type: 'deposit', amount: 1 })],
  ['an entity id of 513 characters', 'invalid-argument', (c) => c.send('account', 'x'.repeat(513), { type: 'deposit', amount: 1 })],
  ['a numeric entity id', 'invalid-argument', (c) => c.send('account', 42 as never, { type: 'deposit', amount: 1 })],
  ['a null command', 'rejected', (c) => c.send('account', 'victim', null as never)],
  ['a string command', 'rejected', (c) => c.send('account', 'victim', 'deposit' as never)],
  ['an unknown command', 'rejected', (c) => c.send('account', 'victim', { type: 'steal', amount: 1 } as never)],
  ['a command without a type', 'rejected', (c) => c.send('account', 'victim', { amount: 1 } as never)],
  ['a NaN amount', 'rejected', (c) => c.send('account', 'victim', { type: 'deposit', amount: Number.NaN })],
  ['an infinite amount', 'rejected', (c) => c.send('account', 'victim', { type: 'deposit', amount: Number.POSITIVE_INFINITY })],
  ['a negative infinite amount', 'rejected', (c) => c.send('account', 'victim', { type: 'withdraw', amount: Number.NEGATIVE_INFINITY })],
  ['a negative amount', 'rejected', (c) => c.send('account', 'victim', { type: 'deposit', amount: -5 })],
  ['a fractional amount', 'rejected', (c) => c.send('account', 'victim', { type: 'deposit', amount: 1.5 })],
  ['a zero amount', 'rejected', (c) => c.send('account', 'victim', { type: 'withdraw', amount: 0 })],
  ['an amount given as a string', 'rejected', (c) => c.send('account', 'victim', { type: 'deposit', amount: '100' as never })],
  ['an amount beyond the safe integers', 'rejected', (c) => c.send('account', 'victim', { type: 'deposit', amount: 2 ** 60 })],
  ['an overdraft', 'rejected', (c) => c.send('account', 'victim', { type: 'withdraw', amount: 1_000_000 })],
  ['an owner name of a megabyte', 'rejected', (c) => c.send('account', 'fresh', { type: 'open', owner: 'x'.repeat(500_000) })],
  ['a command holding a function', 'not-cloneable', (c) => c.send('account', 'victim', { type: 'deposit', amount: 1, then: () => 1 } as never)],
  ['a command holding a symbol', 'not-cloneable', (c) => c.send('account', 'victim', { type: 'deposit', amount: Symbol('1') } as never)],
  ['a command holding a class instance', 'not-cloneable', (c) => c.send('account', 'victim', { type: 'deposit', amount: new Money(1) } as never)],
  ['a command holding a DOM node', 'not-cloneable', (c) => c.send('account', 'victim', { type: 'deposit', amount: document.body } as never)],
  ['a command nested 10,000 levels deep', 'not-cloneable', (c) => c.send('account', 'victim', deeplyNested() as never)],
  [
    'a command with a __proto__ key',
    'not-cloneable',
    (c) => c.send('account', 'victim', JSON.parse('{"type":"deposit","amount":1,"__proto__":{"admin":true}}')),
  ],
  ['a command of 10 MB', 'not-cloneable', (c) => c.send('account', 'victim', { type: 'deposit', amount: 1, blob: 'x'.repeat(5_000_000) } as never)],
  ['options that are not an object', 'invalid-argument', (c) => c.send('account', 'victim', { type: 'deposit', amount: 1 }, null as never)],
  ['an expected version of -1', 'invalid-argument', (c) => c.send('account', 'victim', { type: 'deposit', amount: 1 }, { expectedVersion: -1 })],
  ['an expected version that is a word', 'invalid-argument', (c) => c.send('account', 'victim', { type: 'deposit', amount: 1 }, { expectedVersion: 'latest' as never })],
  ['a stale expected version', 'conflict', (c) => c.send('account', 'victim', { type: 'deposit', amount: 1 }, { expectedVersion: 1 })],
  ['an empty idempotency key', 'invalid-argument', (c) => c.send('account', 'victim', { type: 'deposit', amount: 1 }, { idempotencyKey: '' })],
  ['a reused idempotency key', 'idempotency-key-reused', (c) => c.send('account', 'victim', { type: 'deposit', amount: 2 }, { idempotencyKey: 'first' })],
  ['metadata holding a function', 'not-cloneable', (c) => c.send('account', 'victim', { type: 'deposit', amount: 1 }, { metadata: { f: () => 1 } as never })],
  ['metadata that is an array', 'invalid-argument', (c) => c.send('account', 'victim', { type: 'deposit', amount: 1 }, { metadata: [] as never })],
  ['metadata with a __proto__ key', 'not-cloneable', (c) => c.send('account', 'victim', { type: 'deposit', amount: 1 }, { metadata: JSON.parse('{"__proto__":{"x":1}}') })],
  ['a time-travel seek to -1', 'invalid-argument', (c) => c.stateAt('account', 'victim', -1)],
  ['a time-travel seek to NaN', 'invalid-argument', (c) => c.stateAt('account', 'victim', Number.NaN)],
  ['a history tail of -1', 'invalid-argument', (c) => c.historyAt('account', 'victim', 1, -1)],
  ['a history tail of a billion events', 'invalid-argument', (c) => c.historyAt('account', 'victim', 1, 1e9)],
  ['an event range from 0', 'invalid-argument', (c) => c.events('account', 'victim', 0)],
  ['an event range from a string', 'invalid-argument', (c) => c.events('account', 'victim', '1' as never)],
  ['a read of an unknown read model', 'invalid-argument', (c) => c.readModel('nothing' as never)],
  ['a read-model query with a limit of 0', 'invalid-argument', (c) => c.readModel('account-summaries', { limit: 0 })],
  ['a read-model query whose ids are not an array', 'invalid-argument', (c) => c.readModel('account-summaries', { ids: 'a' as never })],
];

describe('hostile input', () => {
  const clients = testClients();
  let client: TestClient;
  let position: number;

  beforeAll(async () => {
    client = clients.open().client;
    await client.send('account', 'victim', { type: 'open', owner: 'Victim' });
    await client.send('account', 'victim', { type: 'deposit', amount: 100 }, { idempotencyKey: 'first' });
    position = (await client.readModel('account-summaries')).position;
  });
  afterAll(clients.cleanup);
  afterEach(async () => {
    // Nothing stored anywhere: the read model, updated with every write, is where it was; and nothing polluted.
    expect((await client.readModel('account-summaries')).position).toBe(position);
    expect((await client.state('account', 'victim')).state).toEqual({ owner: 'Victim', balance: 100, txCount: 1 });
    expect(({} as { admin?: unknown }).admin).toBeUndefined();
  });

  it('has at least 30 entries', () => expect(catalogue.length).toBeGreaterThanOrEqual(30));

  it.each(catalogue)('answers %s with a typed error (%s)', async (_, code, send) => {
    const error = await send(client).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEventfoldError(error)).toBe(true);
    expect(error).toMatchObject({ code });
    expect((error as Error).message.length).toBeGreaterThan(10);
  });

  it('keeps ids with odd characters apart, as given', async () => {
    const odd = ['a:b', 'a b', '<script>alert(1)</script>', '__proto__', 'é😀', '../..', 'a\uffffb'];
    for (const [i, id] of odd.entries()) await client.send('counter', id, { type: 'add', amount: i + 1 });
    for (const [i, id] of odd.entries()) expect((await client.state('counter', id)).state.value).toBe(i + 1);
    expect(await client.entityIds('counter')).toEqual([...odd].sort());
    position = (await client.readModel('account-summaries')).position;
  });

  it.each([
    ['U+0000', 'a\u0000b'],
    ['a lone high surrogate', 'a\ud800'],
    ['a lone low surrogate', '\udc00b'],
  ])('refuses an id with %s, which no store keeps as text, with an invalid-argument error', async (_, id) => {
    await expect(client.send('counter', id, { type: 'add', amount: 1 })).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});
