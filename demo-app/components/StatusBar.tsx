import { useClientStatus } from 'eventfold/react';
import { useEffect, useState } from 'react';
import type { Bank } from '../bank/connection.ts';
import { SyncStatus } from './SyncPanel.tsx';
import { UpdatePrompt } from './UpdatePrompt.tsx';

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}

/** Asks once for persistent storage, so the browser does not evict the journal under storage pressure. */
function usePersistentStorage(): boolean | undefined {
  const [persisted, setPersisted] = useState<boolean>();
  useEffect(() => {
    let current = true;
    const storage = navigator.storage;
    if (!storage?.persist) return;
    storage
      .persisted()
      .then((already) => already || storage.persist())
      .then((granted) => current && setPersisted(granted))
      .catch(() => current && setPersisted(false));
    return () => {
      current = false;
    };
  }, []);
  return persisted;
}

/** Whether the worker found the bank's stored data deleted by the browser. */
function useStorageLost(bank: Bank): boolean {
  const [lost, setLost] = useState(bank.storageLost);
  useEffect(() => {
    setLost(bank.storageLost);
    return bank.onStorageLost(() => setLost(true));
  }, [bank]);
  return lost;
}

export function StatusBar({ bank }: { bank: Bank }) {
  const online = useOnline();
  const persisted = usePersistentStorage();
  const status = useClientStatus(bank);
  const storageLost = useStorageLost(bank);
  return (
    <div className="status">
      <span className={`pill ${online ? 'ok' : 'warn'}`} data-testid="network">
        {online ? 'Online' : 'Offline'}
      </span>
      <SyncStatus bank={bank} />
      <span className={`pill ${persisted ? 'ok' : 'muted'}`} data-testid="storage">
        {persisted === undefined ? 'Storage…' : persisted ? 'Storage persistent' : 'Storage best-effort'}
      </span>
      {storageLost && (
        <p role="alert" className="banner">
          The browser deleted this app's stored data (after a crash left it damaged, or to free space): the accounts
          and their history from before are gone.
        </p>
      )}
      {status === 'lost' && (
        <p role="status" className="banner">
          {/database/.test(bank.lostBecause ?? '')
            ? `The browser closed the app's storage (${bank.lostBecause}). Reconnecting starts a fresh one.`
            : 'The storage worker stopped. Nothing you saw confirmed is lost.'}{' '}
          <button type="button" onClick={() => bank.reconnect()}>
            Reconnect
          </button>
        </p>
      )}
      {status === 'version-change' && (
        <p role="status" className="banner">
          A newer version of this app is open in another tab. <button onClick={() => location.reload()}>Reload</button>
        </p>
      )}
      <UpdatePrompt />
    </div>
  );
}
