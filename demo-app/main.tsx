import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { bank } from './bank/connection.ts';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App bank={bank} />
  </StrictMode>,
);

// The service worker keeps the app shell (page, scripts, the bank's worker) for offline visits.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch(() => {
    // Without it the app still works online; offline reloads will not.
  });
}
