import { afterEach, describe, expect, it } from 'vitest';
import { expectWorkerError } from './worker-guard-protocol.ts';
import { testClients } from './test-clients.ts';

describe('the worker guard', () => {
  const clients = testClients();
  afterEach(clients.cleanup);

  it('sees an unhandled rejection inside a module worker', async () => {
    expectWorkerError(/a rejection nobody handles/);
    const { client } = clients.open();
    await client.send('fault', 'f', 'reject-later');
  });

  it('sees an uncaught error inside a module worker', async () => {
    expectWorkerError(/the worker crashed/);
    const { client } = clients.open();
    await client.send('fault', 'f', 'crash-later');
    await expect.poll(() => client.status).toBe('lost');
  });

  it('refuses a worker that does not import the guard', async () => {
    expectWorkerError(/does not import lib\/test-support\/worker-guard.ts/);
    const source = 'postMessage("hello")';
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const worker = new Worker(url, { type: 'module' });
    const heard = new Promise((resolve) => worker.addEventListener('message', resolve, { once: true }));
    await heard;
    worker.terminate();
    URL.revokeObjectURL(url);
  });
});
