import { isEventfoldError } from 'eventfold';
import { useTimeline } from 'eventfold/react';
import { type FormEvent, useState } from 'react';
import type { AccountCommand } from '../bank/account.ts';
import type { Bank } from '../bank/connection.ts';
import { formatAmount, parseAmount } from '../format.ts';
import { BalanceChart } from './BalanceChart.tsx';
import { EventLog } from './EventLog.tsx';
import { Generator } from './Generator.tsx';
import { HistorySlider } from './HistorySlider.tsx';
import { useSnapshots } from './use-snapshots.ts';

export function AccountPanel({ bank, id }: { bank: Bank; id: string }) {
  const timeline = useTimeline(bank, 'account', id, { window: 50 });
  const snapshots = useSnapshots(bank, id, timeline.head);
  const [amount, setAmount] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const state = timeline.state;

  const send = async (command: AccountCommand) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await bank.send('account', id, command);
      setAmount('');
    } catch (error) {
      setProblem(isEventfoldError(error, 'rejected') ? error.reason : String(error));
    } finally {
      setBusy(false);
    }
  };
  const command = (type: 'deposit' | 'withdraw') => (event?: FormEvent) => {
    event?.preventDefault();
    void send({ type, amount: parseAmount(amount) });
  };

  return (
    <section className="card account" aria-labelledby="account-title">
      <div className="account-head">
        <h2 id="account-title">{state?.owner ?? (timeline.loading ? 'Loading…' : id)}</h2>
        <span className="muted mono">{id}</span>
      </div>
      <div className="figures">
        <p className="balance">
          <span className="label">Balance</span>
          <output data-testid="balance">{state ? formatAmount(state.balance) : '…'}</output>
        </p>
        <p className="muted" data-testid="tx-count">
          {state ? `${formatAmount(state.txCount)} ${state.txCount === 1 ? 'transaction' : 'transactions'}` : ''}
        </p>
        <p className={`as-of ${timeline.live ? 'live' : 'past'}`}>
          {timeline.live ? 'now' : `as it was after event #${formatAmount(timeline.stateSequenceNr)}`}
        </p>
      </div>
      <form onSubmit={command('deposit')} className="commands">
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
      <div className="alert-slot">
        {problem && (
          <p role="alert" className="problem">
            {problem}
          </p>
        )}
      </div>
      <HistorySlider timeline={timeline} snapshots={snapshots} />
      <BalanceChart bank={bank} id={id} position={timeline.position} />
      <EventLog events={timeline.events} selected={timeline.live ? undefined : timeline.stateSequenceNr} snapshots={snapshots} />
      <Generator bank={bank} id={id} disabled={state?.owner == null} />
    </section>
  );
}
