import * as scenarios from './scenarios.ts';

// The driver (bench/run.mjs) calls these through page.evaluate.
(window as unknown as { bench: typeof scenarios }).bench = scenarios;
