/// <reference types="vite-plugin-pwa/react" />
import { useRegisterSW } from 'virtual:pwa-register/react';

/**
 * Registers the service worker that keeps the app shell for offline visits, and offers a new version of the app once
 * it is downloaded. The update waits for the user: reloading under them could cut a form in the middle. Every open
 * tab of the app reloads when the new version takes over. Without a choice, the new version starts on the next visit
 * after every tab of the app is closed. (The dev server registers nothing.)
 */
export function UpdatePrompt() {
  const {
    needRefresh: [needRefresh],
    updateServiceWorker,
  } = useRegisterSW({
    onRegisterError: () => {
      // Without it the app still works online; offline reloads will not.
    },
  });
  if (!needRefresh) return null;
  return (
    <p role="status" className="banner">
      A new version of this app is ready.{' '}
      <button type="button" onClick={() => void updateServiceWorker()}>
        Reload to update
      </button>
    </p>
  );
}
