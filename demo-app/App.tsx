import { type EntityRuntime, type EventJournal, isEventfoldError, type PersistedEvent, streamIdOf } from 'eventfold';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type { AccountCommand, AccountEvent, AccountState, account } from './bank/account.ts';
import { formatAmount, formatTime, parseAmount } from './format.ts';

const ACCOUNT_ID = 'acc-001';

interface Props {
  bank: EntityRuntime<{ account: typeof account }>;
  journal: EventJournal;
}

export function App({ bank, journal }: Props) {
  const [state, setState] = useState<AccountState>();
  const [events, setEvents] = useState<PersistedEvent<AccountEvent>[]>([]);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    const current = await bank.state('account', ACCOUNT_ID);
    setState(current.state);
    setEvents((await journal.load(streamIdOf('account', ACCOUNT_ID))) as PersistedEvent<AccountEvent>[]);
  }, [bank, journal]);

  useEffect(() => {
    refresh().catch((error: unknown) => setProblem(String(error)));
  }, [refresh]);

  const send = async (command: AccountCommand) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await bank.send('account', ACCOUNT_ID, command);
      await refresh();
    } catch (error) {
      setProblem(isEventfoldError(error, 'rejected') ? error.reason : String(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="app">
      <header>
        <h1>eventfold bank</h1>
        <p className="lede">Every change is an event in your browser's IndexedDB; the balance is their fold.</p>
      </header>
      {state === undefined ? (
        <p>Loading…</p>
      ) : state.owner === null ? (
        <OpenAccount busy={busy} onOpen={(owner) => send({ type: 'open', owner })} />
      ) : (
        <Account state={state} busy={busy} onCommand={send} />
      )}
      {problem && (
        <p role="alert" className="problem">
          {problem}
        </p>
      )}
      <EventLog events={events} />
    </main>
  );
}

function OpenAccount({ busy, onOpen }: { busy: boolean; onOpen: (owner: string) => void }) {
  const [owner, setOwner] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onOpen(owner);
  };
  return (
    <form className="card" onSubmit={submit}>
      <label>
        Owner
        <input value={owner} onChange={(e) => setOwner(e.target.value)} autoComplete="name" />
      </label>
      <button type="submit" disabled={busy}>
        New account
      </button>
    </form>
  );
}

function Account({ state, busy, onCommand }: { state: AccountState; busy: boolean; onCommand: (c: AccountCommand) => void }) {
  const [amount, setAmount] = useState('');
  const command = (type: 'deposit' | 'withdraw') => (event: FormEvent) => {
    event.preventDefault();
    onCommand({ type, amount: parseAmount(amount) });
  };
  return (
    <section className="card" aria-label={`Account of ${state.owner}`}>
      <h2>{state.owner}</h2>
      <p className="balance">
        <span>Balance</span> <output data-testid="balance">{formatAmount(state.balance)}</output>
      </p>
      <p className="muted" data-testid="tx-count">
        {state.txCount} {state.txCount === 1 ? 'transaction' : 'transactions'}
      </p>
      <form onSubmit={command('deposit')}>
        <label>
          Amount
          <input value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="numeric" autoComplete="off" />
        </label>
        <button type="submit" disabled={busy}>
          Deposit
        </button>
        <button type="button" disabled={busy} onClick={command('withdraw')}>
          Withdraw
        </button>
      </form>
    </section>
  );
}

function EventLog({ events }: { events: PersistedEvent<AccountEvent>[] }) {
  return (
    <section className="card">
      <h2 id="log-title">Event log</h2>
      <ol aria-labelledby="log-title" className="log">
        {events.toReversed().map(({ sequenceNr, event, timestamp }) => (
          <li key={sequenceNr}>
            <span className="seq">#{sequenceNr}</span>
            <span className="type">{event.type}</span>
            <span className="amount">{'amount' in event ? formatAmount(event.amount) : event.owner}</span>
            <time dateTime={new Date(timestamp).toISOString()}>{formatTime(timestamp)}</time>
          </li>
        ))}
      </ol>
    </section>
  );
}
