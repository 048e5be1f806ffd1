import { useReadModel } from 'eventfold/react';
import { memo, useMemo } from 'react';
import type { BalanceHistory } from '../bank/balance-history.ts';
import type { Bank } from '../bank/connection.ts';
import { formatAmount } from '../format.ts';

const WIDTH = 600;
const HEIGHT = 120;

/** The area and line of a balance history: one column per bucket reached, from its lowest to its highest balance. */
function paths(history: BalanceHistory): { area: string; line: string; top: number; span: number } {
  const buckets = Math.floor(history.sequenceNr / history.bucketSize) + 1;
  let top = 1;
  for (let i = 0; i < buckets; i++) top = Math.max(top, history.max[i] ?? 0);
  const span = Math.max(1, history.sequenceNr);
  const x = (bucket: number) => ((bucket * history.bucketSize) / span) * WIDTH;
  const y = (value: number) => HEIGHT - (value / top) * (HEIGHT - 8);
  let line = '';
  let area = `M0,${HEIGHT}`;
  for (let i = 0; i < buckets; i++) {
    const left = x(i).toFixed(1);
    const right = Math.min(WIDTH, x(i + 1)).toFixed(1);
    const high = y(history.max[i]!).toFixed(1);
    const low = y(history.min[i]!).toFixed(1);
    // A spike within a bucket shows as a vertical stroke from its lowest to its highest balance.
    line += `${i === 0 ? 'M' : 'L'}${left},${low}L${left},${high}L${right},${high}`;
    area += `L${left},${high}L${right},${high}`;
  }
  area += `L${WIDTH},${HEIGHT}Z`;
  return { area, line, top, span };
}

/** The chart itself, drawn again only when the history changes, not on every move of the cursor. */
const Curve = memo(function Curve({ area, line }: { area: string; line: string }) {
  return (
    <>
      <path d={area} className="area" />
      <path d={line} className="line" />
    </>
  );
});

/**
 * The balance over the account's whole history, from the worker's `balance-history` read model: a few hundred
 * buckets whatever the history's length, so the first paint never waits for the events.
 */
export function BalanceChart({ bank, id, position }: { bank: Bank; id: string; position: number }) {
  const ids = useMemo(() => [id], [id]);
  const model = useReadModel(bank, 'balance-history', { ids });
  const history = model.status === 'ready' ? (model.documents[0]?.doc as BalanceHistory | undefined) : undefined;
  const drawn = useMemo(() => history && paths(history), [history]);
  const span = drawn?.span ?? 1;
  const cursor = (Math.min(position, span) / span) * WIDTH;

  return (
    <figure className="chart" data-testid="balance-chart" data-events={history?.sequenceNr ?? 0}>
      <figcaption className="muted">
        Balance over history · peak {formatAmount(drawn?.top ?? 0)} · {formatAmount(history?.sequenceNr ?? 0)} events
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label="Balance over history">
        {drawn && <Curve area={drawn.area} line={drawn.line} />}
        <line x1={cursor} x2={cursor} y1={0} y2={HEIGHT} className="cursor" data-testid="chart-cursor" />
      </svg>
    </figure>
  );
}
