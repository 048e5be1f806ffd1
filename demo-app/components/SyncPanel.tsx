import { useRejections, useSyncStatus } from 'eventfold/react';
import type { Bank } from '../bank/connection.ts';
import { formatAmount } from '../format.ts';

/** Where sync stands, in words: "Synced", "Syncing…", or "Offline · 3 pending". */
export function SyncStatus({ bank }: { bank: Bank }) {
  const status = useSyncStatus(bank);
  if (!status) return null;
  const text = status.state === 'synced' ? 'Synced' : status.state === 'syncing' ? 'Syncing…' : `Offline · ${status.pending} pending`;
  return (
    <span role="status" aria-label="Sync" className={`pill ${status.state === 'synced' ? 'ok' : status.state === 'offline' ? 'warn' : 'muted'}`} title={status.error?.message}>
      {text}
    </span>
  );
}

/** The commands the server refused: the newest in an alert, all of them in a list, until dismissed. */
export function ServerRejections({ bank }: { bank: Bank }) {
  const { rejections, dismiss } = useRejections(bank);
  if (rejections.length === 0) return null;
  const newest = rejections.at(-1)!;
  return (
    <section className="rejections" aria-labelledby="rejections-title">
      <p role="alert" className="problem">
        The server rejected {describe(newest.command)} on {newest.id}: {newest.reason}
      </p>
      <h2 id="rejections-title">Rejected by the server</h2>
      <ul aria-labelledby="rejections-title">
        {rejections.map((rejection) => (
          <li key={rejection.commandId}>
            <span>
              {describe(rejection.command)} on {rejection.id}: {rejection.reason}
            </span>{' '}
            <button type="button" onClick={() => dismiss(rejection.commandId)}>
              Dismiss
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A command in words: "withdraw 60.00". */
function describe(command: unknown): string {
  const { type, amount, owner } = (command ?? {}) as { type?: string; amount?: number; owner?: string };
  if (typeof amount === 'number') return `${type} ${formatAmount(amount)}`;
  return owner === undefined ? String(type) : `${type} for ${owner}`;
}
