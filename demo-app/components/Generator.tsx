import { useState } from 'react';
import type { Bank } from '../bank/connection.ts';
import { formatAmount } from '../format.ts';

const TOTAL = 10_000;
/** Deposits in flight at once: the worker writes each wave in a few group-commit transactions. */
const WAVE = 500;

/** Generates many deposits, to try the timeline and the replays at scale. */
export function Generator({ bank, id, disabled }: { bank: Bank; id: string; disabled: boolean }) {
  const [done, setDone] = useState<number>();
  const [problem, setProblem] = useState<string>();
  const running = done !== undefined;

  const run = async () => {
    setProblem(undefined);
    setDone(0);
    try {
      for (let sent = 0; sent < TOTAL; sent += WAVE) {
        await Promise.all(
          Array.from({ length: WAVE }, () =>
            bank.send('account', id, { type: 'deposit', amount: 1 + Math.floor(Math.random() * 100) }),
          ),
        );
        setDone(sent + WAVE);
      }
    } catch (error) {
      setProblem(String(error));
    } finally {
      setDone(undefined);
    }
  };

  return (
    <div className="generator">
      <button type="button" className="secondary" onClick={run} disabled={disabled || running}>
        Generate {formatAmount(TOTAL)} events
      </button>
      <progress max={TOTAL} value={done ?? 0} aria-label="Generated events" hidden={!running} />
      {problem && <p role="alert">{problem}</p>}
    </div>
  );
}
