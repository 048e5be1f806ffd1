import type { TimelineControls } from 'eventfold/react';
import type { AccountEvent, AccountState } from '../bank/account.ts';
import { formatAmount } from '../format.ts';

interface Props {
  timeline: TimelineControls<AccountState, AccountEvent>;
  snapshots: readonly number[];
}

export function HistorySlider({ timeline, snapshots }: Props) {
  const { head, position, live } = timeline;
  return (
    <div className="history">
      <div className="history-head">
        <label htmlFor="history">History</label>
        <span className="muted" aria-live="polite">
          {live ? `live · ${formatAmount(head)} events` : `after event #${formatAmount(position)} of ${formatAmount(head)}`}
        </span>
        <button type="button" onClick={timeline.goLive} disabled={live} className="secondary">
          Live
        </button>
      </div>
      <div className="slider-track">
        <input
          id="history"
          type="range"
          min={0}
          max={head}
          step={1}
          value={position}
          disabled={timeline.loading}
          aria-valuetext={position === 0 ? 'before the first event' : `after event ${position}`}
          onChange={(e) => timeline.seek(Number(e.target.value))}
        />
        <div className="snapshot-marks" aria-hidden="true">
          {head > 0 &&
            snapshots.map((sequenceNr) => (
              <span key={sequenceNr} className="snapshot-mark" style={{ left: `${(sequenceNr / head) * 100}%` }} />
            ))}
        </div>
      </div>
    </div>
  );
}
