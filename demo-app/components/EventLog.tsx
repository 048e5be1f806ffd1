import type { PersistedEvent } from 'eventfold';
import type { AccountEvent } from '../bank/account.ts';
import { formatAmount, formatTime } from '../format.ts';

interface Props {
  /** The events up to the selected position, ascending. */
  events: readonly PersistedEvent<AccountEvent>[];
  /** The sequence number to highlight while scrubbing. */
  selected: number | undefined;
  snapshots: readonly number[];
}

export function EventLog({ events, selected, snapshots }: Props) {
  const snapshotted = new Set(snapshots);
  return (
    <div className="log-box">
      <h3 id="log-title">Event log</h3>
      <ol aria-labelledby="log-title" className="log">
        {events.toReversed().map(({ sequenceNr, event, timestamp, eventId, position }) => (
          // A pending event (this device's prediction, not confirmed by the server yet) has no position.
          <li key={`${sequenceNr}:${eventId}`} aria-current={sequenceNr === selected ? 'true' : undefined} data-pending={position === 0 || undefined}>
            <span className="seq">#{sequenceNr}</span>
            <span className="type">
              {event.type}
              {snapshotted.has(sequenceNr) && <span className="badge">snapshot</span>}
              {position === 0 && <span className="badge pending">pending</span>}
            </span>
            <span className="amount">{'amount' in event ? formatAmount(event.amount) : event.owner}</span>
            <time dateTime={new Date(timestamp).toISOString()}>{formatTime(timestamp)}</time>
          </li>
        ))}
      </ol>
    </div>
  );
}
