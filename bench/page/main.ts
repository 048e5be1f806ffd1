import * as scenarios from './scenarios.ts';
import * as sync from './sync.ts';

// The driver (bench/run.mjs) calls these through page.evaluate.
(window as unknown as { bench: typeof scenarios & typeof sync }).bench = { ...scenarios, ...sync };
