// Fails the test during which a promise rejection went unhandled, in Node and in the browser alike.
import { afterEach, expect } from 'vitest';

const unhandled: unknown[] = [];
const record = (reason: unknown) => unhandled.push(reason);

const nodeProcess = (globalThis as { process?: { on(event: string, listener: (reason: unknown) => void): void } })
  .process;
if (typeof window !== 'undefined') {
  window.addEventListener('unhandledrejection', (event) => record(event.reason));
} else {
  nodeProcess?.on('unhandledRejection', record);
}

afterEach(async () => {
  // Rejections are reported after a macrotask: let the ones caused by the test surface first.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const reasons = unhandled.splice(0);
  expect(reasons, 'unhandled promise rejections').toEqual([]);
});
