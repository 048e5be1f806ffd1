/** The production build of the demo, as users get it. */
export const DEMO_PORT = 4173;
/** The Vite dev server, for the reliability harness page (`e2e/harness`), which the demo's build does not ship. */
export const HARNESS_PORT = 4175;
export const HARNESS_URL = `http://127.0.0.1:${HARNESS_PORT}/e2e/harness/index.html`;
