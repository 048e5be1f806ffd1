/** Hears what a page-side listener threw. */
export type ListenerErrorHandler = (error: unknown) => void;

/** The default: a listener's throw is shown in the console, never left as an unhandled rejection. */
export const reportToConsole: ListenerErrorHandler = (error) => console.error('eventfold: a listener threw', error);

/**
 * Calls every listener with `args`. One that throws is reported and the others are still called: a broken view must
 * not blind the rest of the page. Listeners that leave during the round are still called once; those that join are
 * not.
 */
export function tellEach<A extends unknown[]>(
  listeners: Iterable<(...args: A) => void>,
  report: ListenerErrorHandler,
  ...args: A
): void {
  for (const listener of [...listeners]) {
    try {
      listener(...args);
    } catch (error) {
      try {
        report(error);
      } catch {
        // A reporter that throws has nowhere left to report to.
      }
    }
  }
}
