import type { PersistedEvent } from 'eventfold';
import { useEffect, useMemo, useState } from 'react';
import { type AccountEvent, type AccountState, account } from '../bank/account.ts';
import type { Bank } from '../bank/connection.ts';
import { BalanceSeries } from '../balance-series.ts';
import { formatAmount } from '../format.ts';

const WIDTH = 600;
const HEIGHT = 120;
const PAGE = 5_000;

/** The balance after every event of the account, loaded in pages and extended by each new event. */
function useBalanceSeries(bank: Bank, id: string): { series: BalanceSeries; version: number } {
  const [series] = useState(() => new BalanceSeries());
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let stopped = false;
    let state: AccountState = account.initialState();
    let loaded = false;
    const early: PersistedEvent<AccountEvent>[] = [];
    const append = (events: readonly PersistedEvent<AccountEvent>[]) => {
      for (const { sequenceNr, event } of events) {
        if (sequenceNr !== series.length) continue;
        state = account.evolve(state, event);
        series.push(state.balance);
      }
    };
    const unsubscribe = bank.subscribe('account', id, ({ events }) => {
      if (!loaded) early.push(...events);
      else {
        append(events);
        setVersion((v) => v + 1);
      }
    });
    (async () => {
      for (let from = 1; !stopped; from += PAGE) {
        const page = await bank.events('account', id, from, from + PAGE - 1);
        append(page);
        if (page.length < PAGE) break;
      }
      loaded = true;
      append(early);
      if (!stopped) setVersion((v) => v + 1);
    })().catch(() => {});
    return () => {
      stopped = true;
      unsubscribe();
    };
  }, [bank, id, series]);

  return { series, version };
}

export function BalanceChart({ bank, id, head, position }: { bank: Bank; id: string; head: number; position: number }) {
  const { series, version } = useBalanceSeries(bank, id);
  const points = useMemo(() => series.downsample(300), [series, version]);
  const top = Math.max(1, ...points.map((p) => p.max));
  const span = Math.max(1, series.length - 1);
  const x = (index: number) => (index / span) * WIDTH;
  const y = (value: number) => HEIGHT - (value / top) * (HEIGHT - 8);
  const line = points.map((p) => `${x(p.index).toFixed(1)},${y(p.max).toFixed(1)}`).join(' ');
  const cursor = x(Math.min(position, span));

  return (
    <figure className="chart">
      <figcaption className="muted">
        Balance over history · peak {formatAmount(top)} · {formatAmount(Math.max(head, series.length - 1))} events
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label="Balance over history">
        <polyline points={`0,${HEIGHT} ${line} ${WIDTH},${y(points.at(-1)?.max ?? 0)} ${WIDTH},${HEIGHT}`} className="area" />
        <polyline points={line} className="line" />
        <line x1={cursor} x2={cursor} y1={0} y2={HEIGHT} className="cursor" data-testid="chart-cursor" />
      </svg>
    </figure>
  );
}
