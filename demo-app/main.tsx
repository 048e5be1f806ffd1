import { createRuntime } from 'eventfold';
import { openIndexedDbJournal } from 'eventfold/idb';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { account } from './bank/account.ts';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
try {
  const journal = await openIndexedDbJournal('eventfold-bank', {
    onClosed: () => root.render(<p role="alert">A newer version of this app opened in another tab: reload.</p>),
  });
  const bank = createRuntime({ journal, entities: { account } });
  root.render(
    <StrictMode>
      <App bank={bank} journal={journal} />
    </StrictMode>,
  );
} catch (error) {
  root.render(<p role="alert">The bank could not open its storage: {String(error)}</p>);
}
