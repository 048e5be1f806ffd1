// Ports can be moved with EVENTFOLD_E2E_PORT (the demo's; the harness takes the one two above, a test's own builds the
// one four above), so that two checkouts can run their end-to-end tests side by side.
const base = Number(process.env.EVENTFOLD_E2E_PORT ?? 4173);

/** The production build of the demo, as users get it. */
export const DEMO_PORT = base;
/** The Vite dev server, for the reliability harness page (`e2e/harness`), which the demo's build does not ship. */
export const HARNESS_PORT = base + 2;
export const HARNESS_URL = `http://127.0.0.1:${HARNESS_PORT}/e2e/harness/index.html`;
/** A test's own builds of the demo, served by a `vite preview` the test starts. */
export const OWN_BUILD_PORT = base + 4;
/** A test's own demo server (`npm start`'s), which the test stops and starts again. */
export const OWN_SERVER_PORT = base + 6;
