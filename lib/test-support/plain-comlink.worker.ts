// A worker that speaks plain Comlink, knowing nothing of eventfold: a neighbour on the page of an eventfold client.
import './worker-guard.ts';
import { expose } from 'comlink';

const neighbour = {
  fail(): void {
    throw new TypeError('the neighbour refuses');
  },
  /** Calls the page's `callback` and says what it threw, as this worker's plain Comlink received it. */
  async callBack(callback: () => Promise<void>): Promise<{ message: string; name: string } | 'nothing thrown'> {
    try {
      await callback();
      return 'nothing thrown';
    } catch (error) {
      return { message: String((error as Error | undefined)?.message), name: String((error as Error | undefined)?.name) };
    }
  },
};

export type Neighbour = typeof neighbour;
expose(neighbour);
