import * as scenarios from './scenarios.ts';
import * as sync from './sync.ts';
import * as tabs from './tabs.ts';

// The driver (bench/run.mjs) calls these through page.evaluate.
(window as unknown as { bench: typeof scenarios & typeof sync & typeof tabs }).bench = { ...scenarios, ...sync, ...tabs };
