import type { TimelineControls } from 'eventfold/react';
import { memo } from 'react';
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
        <SnapshotMarks snapshots={snapshots} head={head} />
      </div>
    </div>
  );
}

/**
 * Where the stored snapshots are, as ticks under the slider: one path however many there are (up to the journal's
 * bound of 2,000), drawn again only when they or the head change, not on every move of the slider.
 */
const SnapshotMarks = memo(function SnapshotMarks({ snapshots, head }: { snapshots: readonly number[]; head: number }) {
  const ticks = head > 0 ? snapshots.map((sequenceNr) => `M${((sequenceNr / head) * 1_000).toFixed(1)},0v1`).join('') : '';
  return (
    <svg className="snapshot-marks" viewBox="0 0 1000 1" preserveAspectRatio="none" aria-hidden="true" data-testid="snapshot-marks" data-count={snapshots.length}>
      <path d={ticks} className="snapshot-mark" vectorEffect="non-scaling-stroke" />
    </svg>
  );
});
