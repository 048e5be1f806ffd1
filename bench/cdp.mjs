// The DevTools protocol sessions of a page's workers: workers expose no heap API of their own, and cannot be paused
// from the page, but the protocol reaches both.

/**
 * Attaches to the workers `page` starts (those it has already started too, and those of the documents it loads
 * later); `send` sends a protocol command to the newest running worker whose URL or name contains `match`.
 * @param {import('playwright').BrowserContext} context
 * @param {import('playwright').Page} page
 */
export async function workerSessions(context, page) {
  const cdp = await context.newCDPSession(page);
  /** @type {{ sessionId: string, url: string, title: string }[]} */
  const workers = [];
  let id = 0;
  const pending = new Map();
  cdp.on('Target.attachedToTarget', (/** @type {any} */ event) => {
    const { type, url, title } = event.targetInfo;
    if (type === 'worker') workers.push({ sessionId: event.sessionId, url, title });
  });
  cdp.on('Target.detachedFromTarget', (/** @type {any} */ event) => {
    const at = workers.findIndex((worker) => worker.sessionId === event.sessionId);
    if (at >= 0) workers.splice(at, 1);
  });
  cdp.on('Target.receivedMessageFromTarget', (/** @type {any} */ event) => {
    const message = JSON.parse(event.message);
    pending.get(message.id)?.(message.result);
    pending.delete(message.id);
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  const find = (/** @type {string} */ match) => workers.findLast((worker) => worker.url.includes(match) || worker.title.includes(match));
  return {
    /** Whether a worker matching `match` is attached. */
    has: (/** @type {string} */ match) => find(match) !== undefined,
    /**
     * @param {string} match
     * @param {string} method
     * @param {Record<string, unknown>} [params]
     * @returns {Promise<any>}
     */
    send(match, method, params = {}) {
      const worker = find(match);
      if (!worker) return Promise.reject(new Error(`no worker matching "${match}" is attached`));
      return new Promise((resolve) => {
        const messageId = ++id;
        pending.set(messageId, resolve);
        cdp.send('Target.sendMessageToTarget', { sessionId: worker.sessionId, message: JSON.stringify({ id: messageId, method, params }) });
      });
    },
    /** The page's own session. */
    page: cdp,
  };
}
