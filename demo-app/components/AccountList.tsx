import { isEventfoldError } from 'eventfold';
import { useEntity, useEntityIds } from 'eventfold/react';
import { type FormEvent, useState } from 'react';
import { type Bank, newAccountId } from '../bank/connection.ts';
import { formatAmount } from '../format.ts';

interface Props {
  bank: Bank;
  selected: string | undefined;
  onSelect: (id: string) => void;
}

export function AccountList({ bank, selected, onSelect }: Props) {
  const ids = useEntityIds(bank, 'account');
  const [owner, setOwner] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

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
      {ids.status === 'error' && <p role="alert">{String(ids.error)}</p>}
      <ul aria-labelledby="accounts-title" className="account-list">
        {ids.status === 'ready' && ids.ids.length === 0 && <li className="muted">No accounts yet.</li>}
        {ids.status === 'ready' &&
          ids.ids.map((id) => <AccountRow key={id} bank={bank} id={id} selected={id === selected} onSelect={onSelect} />)}
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
    </aside>
  );
}

function AccountRow({ bank, id, selected, onSelect }: { bank: Bank; id: string; selected: boolean; onSelect: (id: string) => void }) {
  const view = useEntity(bank, 'account', id);
  const owner = view.status === 'ready' ? (view.state.owner ?? id) : id;
  return (
    <li>
      <button
        type="button"
        className="account-row"
        aria-current={selected ? 'true' : undefined}
        onClick={() => onSelect(id)}
      >
        <span className="owner">{owner}</span>
        <span className="amount">{view.status === 'ready' ? formatAmount(view.state.balance) : '…'}</span>
      </button>
    </li>
  );
}
