// The bank's service worker. Workbox precaches the app shell (page, scripts, styles, the bank's worker, the files of
// `public/`), each entry with a revision taken from its content, so that any edited file makes a new service worker;
// the build puts that list in place of `self.__WB_MANIFEST`. The data itself lives in IndexedDB, not here.
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, type PrecacheEntry, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (PrecacheEntry | string)[] };

/** The caches of the shell's first service worker, which named its versions after the built files' names only. */
const LEGACY_CACHE_PREFIX = 'eventfold-bank-';

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// Every page of the app is the one shell: served from the precache, so it loads offline.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));
// The first install takes the page that registered it, so a first visit is offline-capable without a reload. An update
// is not activated before the page asks for it (`SKIP_WAITING`, sent when the user chooses to reload).
clientsClaim();

self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

self.addEventListener('install', (event) => {
  // A page of the first shell has no prompt to ask for the update: take over at once, so its next load is this one.
  event.waitUntil(
    caches.keys().then((keys) => (keys.some((key) => key.startsWith(LEGACY_CACHE_PREFIX)) ? self.skipWaiting() : undefined)),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith(LEGACY_CACHE_PREFIX)).map((key) => caches.delete(key)))),
  );
});
