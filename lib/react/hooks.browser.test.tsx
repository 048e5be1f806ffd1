import { type Client, connect } from 'eventfold/client';
import { deleteIndexedDbJournal } from 'eventfold/idb';
import { useEntity, useTimeline } from 'eventfold/react';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { entities } from '../test-support/test.worker.ts';
import { settleWorkers } from '../test-support/worker-guard-protocol.ts';

// React warns unless told that this environment drives `act` itself.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

type TestClient = Client<typeof entities>;

function Counter({ client, id }: { client: TestClient; id: string }) {
  const view = useEntity(client, 'counter', id);
  if (view.status === 'loading') return <p>loading</p>;
  if (view.status === 'error') return <p role="alert">{String(view.error)}</p>;
  return (
    <p data-testid="value">
      {view.state.value} at {view.sequenceNr}
    </p>
  );
}

let controls: ReturnType<typeof useTimeline<typeof entities, 'counter'>> | undefined;

function History({ client, id }: { client: TestClient; id: string }) {
  controls = useTimeline(client, 'counter', id, { window: 3 });
  return (
    <p data-testid="history">
      {controls.live ? 'live' : 'past'} {controls.position}/{controls.head} value {controls.state?.value ?? '-'} events{' '}
      {controls.events.map((e) => e.sequenceNr).join(',')}
    </p>
  );
}

describe('React hooks', () => {
  let root: Root | undefined;
  let container: HTMLElement;
  let client: TestClient;
  const database = `hooks-${crypto.randomUUID()}`;

  const render = async (element: React.ReactNode) => {
    container = document.createElement('div');
    document.body.append(container);
    root = createRoot(container);
    await act(async () => root!.render(element));
  };
  const text = (testId: string) => container.querySelector(`[data-testid="${testId}"]`)?.textContent;

  afterEach(async () => {
    await act(async () => root?.unmount());
    container.remove();
    await settleWorkers();
    await client.close();
    await deleteIndexedDbJournal(database);
  });

  it('useEntity shows the live state and follows each change', async () => {
    client = connect(() => new Worker(new URL('../test-support/test.worker.ts', import.meta.url), { type: 'module', name: database }));
    await client.send('counter', 'c', { type: 'add', amount: 2 });
    await render(<Counter client={client} id="c" />);
    await expect.poll(() => text('value')).toBe('2 at 1');
    await act(() => client.send('counter', 'c', { type: 'add', amount: 3 }));
    await expect.poll(() => text('value')).toBe('5 at 2');
  });

  it('useEntity reports why an entity cannot be watched', async () => {
    client = connect(() => new Worker(new URL('../test-support/test.worker.ts', import.meta.url), { type: 'module', name: database }));
    await render(<Counter client={client} id="" />);
    await expect.poll(() => container.querySelector('[role="alert"]')?.textContent).toMatch(/entityId must be a non-empty string/);
  });

  it('useTimeline follows the head live, seeks into the past, and returns to live', async () => {
    client = connect(() => new Worker(new URL('../test-support/test.worker.ts', import.meta.url), { type: 'module', name: database }));
    for (const amount of [1, 2, 3, 4, 5]) await client.send('counter', 't', { type: 'add', amount });
    await render(<History client={client} id="t" />);
    await expect.poll(() => text('history')).toBe('live 5/5 value 15 events 3,4,5');

    await act(async () => controls!.seek(2));
    await expect.poll(() => text('history')).toBe('past 2/5 value 3 events 1,2');
    await act(() => client.send('counter', 't', { type: 'add', amount: 6 }));
    await expect.poll(() => text('history')).toBe('past 2/6 value 3 events 1,2');
    await act(async () => controls!.seek(0));
    await expect.poll(() => text('history')).toBe('past 0/6 value 0 events ');

    await act(async () => controls!.goLive());
    await expect.poll(() => text('history')).toBe('live 6/6 value 21 events 4,5,6');
  });
});
