// The bank's service worker: it precaches the app shell (PRECACHE and VERSION are prepended by the build) so the
// app loads and works offline after the first visit. The data itself lives in IndexedDB, not here.
/* global PRECACHE, VERSION */
const CACHE = `eventfold-bank-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith('eventfold-bank-') && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    // Network first, so a new version is picked up when online; the cached shell when offline.
    event.respondWith(fetch(request).catch(() => caches.match('/', { cacheName: CACHE, ignoreVary: true })));
    return;
  }
  // `ignoreVary`: module scripts are requested with an Origin header that the precache requests did not carry.
  event.respondWith(
    caches.match(request, { cacheName: CACHE, ignoreVary: true }).then((cached) => cached ?? fetch(request)),
  );
});
