import { isEventfoldError, type ReadModelDocument } from 'eventfold';
import { useReadModel } from 'eventfold/react';
import { type FormEvent, useState } from 'react';
import type { AccountSummary } from '../bank/account-summaries.ts';
import { type Bank, newAccountId } from '../bank/connection.ts';
import { formatAmount, formatTime } from '../format.ts';
import { JournalFiles } from './JournalFiles.tsx';

interface Props {
  bank: Bank;
  selected: string | undefined;
  onSelect: (id: string) => void;
}

export function AccountList({ bank, selected, onSelect }: Props) {
  const summaries = useReadModel(bank, 'account-summaries');
  const [owner, setOwner] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  /** The rebuild asked for here: running, or done up to a position (the list stays on screen either way). */
  const [rebuild, setRebuild] = useState<{ state: 'running' } | { state: 'done'; position: number }>();

  const startRebuild = () => {
    setProblem(undefined);
    setRebuild({ state: 'running' });
    bank.rebuildProjection('account-summaries').then(
      (status) => {
        setRebuild(status.state === 'live' ? { state: 'done', position: status.position } : undefined);
        if (status.state === 'failed') setProblem(`The account list could not be rebuilt: ${String(status.error)}`);
      },
      (error: unknown) => {
        setRebuild(undefined);
        setProblem(String(error));
      },
    );
  };
  const progress = summaries.status === 'rebuilding' ? summaries : summaries.status === 'ready' ? summaries.rebuilding : undefined;

  const open = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    const id = newAccountId();
    try {
      await bank.send('account', id, { type: 'open', owner }, { expectedVersion: 'no-stream' });
      setOwner('');
      onSelect(id);
    } catch (error) {
      setProblem(isEventfoldError(error, 'rejected') ? error.reason : String(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <aside className="card accounts">
      <h2 id="accounts-title">Accounts</h2>
      {summaries.status === 'error' && <p role="alert">{String(summaries.error)}</p>}
      {progress ? (
        <p role="status" className="muted">
          Rebuilding the account list: {progress.processed.toLocaleString('en-US')} of {progress.total.toLocaleString('en-US')}{' '}
          events
        </p>
      ) : (
        rebuild?.state === 'done' && (
          <p role="status" className="muted">
            Account list rebuilt from {rebuild.position.toLocaleString('en-US')} events
          </p>
        )
      )}
      <ul aria-labelledby="accounts-title" className="account-list">
        {summaries.status === 'ready' && summaries.documents.length === 0 && <li className="muted">No accounts yet.</li>}
        {summaries.status === 'ready' &&
          summaries.documents.map((row) => (
            <AccountRow key={row.id} row={row} selected={row.id === selected} onSelect={onSelect} />
          ))}
      </ul>
      <form onSubmit={open} className="new-account">
        <label>
          Owner
          <input value={owner} onChange={(e) => setOwner(e.target.value)} autoComplete="name" maxLength={120} />
        </label>
        <button type="submit" disabled={busy}>
          New account
        </button>
      </form>
      {problem && (
        <p role="alert" className="problem">
          {problem}
        </p>
      )}
      <button
        type="button"
        className="secondary rebuild"
        onClick={startRebuild}
        disabled={rebuild?.state === 'running' || progress !== undefined}
      >
        Rebuild list
      </button>
      <JournalFiles bank={bank} />
    </aside>
  );
}

function AccountRow({
  row: { id, doc: summary },
  selected,
  onSelect,
}: {
  row: ReadModelDocument<AccountSummary>;
  selected: boolean;
  onSelect: (id: string) => void;
}) {
  return (
    <li>
      <button
        type="button"
        className="account-row"
        aria-current={selected ? 'true' : undefined}
        onClick={() => onSelect(id)}
      >
        <span className="owner">{summary.owner}</span>
        <span className="amount">{formatAmount(summary.balance)}</span>
        <span className="meta muted">
          {summary.txCount} {summary.txCount === 1 ? 'transaction' : 'transactions'} · {formatTime(summary.lastActivity)}
        </span>
      </button>
    </li>
  );
}
