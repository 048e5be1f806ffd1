import { useEffect, useState } from 'react';
import type { Bank } from './bank/connection.ts';
import { ServerRejections } from './components/SyncPanel.tsx';
import { AccountList } from './components/AccountList.tsx';
import { AccountPanel } from './components/AccountPanel.tsx';
import { StatusBar } from './components/StatusBar.tsx';

/** The selected account lives in the URL's hash, so a reload or a shared link keeps it. */
function useSelectedAccount(): [string | undefined, (id: string) => void] {
  const read = () => decodeURIComponent(location.hash.slice(1)) || undefined;
  const [selected, setSelected] = useState(read);
  useEffect(() => {
    const onHashChange = () => setSelected(read());
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);
  const select = (id: string) => {
    history.replaceState(null, '', `#${encodeURIComponent(id)}`);
    setSelected(id);
  };
  return [selected, select];
}

export function App({ bank }: { bank: Bank }) {
  const [selected, select] = useSelectedAccount();
  return (
    <div className="app">
      <header className="top">
        <div>
          <h1>eventfold bank</h1>
          <p className="lede">Every change is an event stored in your browser; balances are folds of those events.</p>
        </div>
        <StatusBar bank={bank} />
      </header>
      <ServerRejections bank={bank} />
      <main className="layout">
        <AccountList bank={bank} selected={selected} onSelect={select} />
        {selected ? (
          <AccountPanel key={selected} bank={bank} id={selected} />
        ) : (
          <section className="card empty">
            <h2>No account selected</h2>
            <p>Open an account with the form on the left, or pick one from the list.</p>
          </section>
        )}
      </main>
    </div>
  );
}
