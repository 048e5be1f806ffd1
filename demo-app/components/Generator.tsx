import { useRef, useState } from 'react';
import type { Bank } from '../bank/connection.ts';
import { formatAmount } from '../format.ts';

/** The sizes offered: enough to try the timeline, and a history of a million events. */
const SIZES = [10_000, 1_000_000] as const;
/**
 * Deposits sent at once, in one `sendAll`: enough for the worker to write each wave in a few large group-commit
 * transactions, and one message each way, so the page stays responsive while a million go by.
 */
const WAVE = 2_000;

interface Progress {
  readonly total: number;
  readonly done: number;
  readonly startedAt: number;
  readonly now: number;
}

/** Generates many deposits, to try the timeline and the replays at scale, with its rate and the time left. */
export function Generator({ bank, id, disabled }: { bank: Bank; id: string; disabled: boolean }) {
  const [total, setTotal] = useState<number>(SIZES[0]);
  const [progress, setProgress] = useState<Progress>();
  const [problem, setProblem] = useState<string>();
  const stop = useRef(false);
  const running = progress !== undefined;

  const run = async () => {
    setProblem(undefined);
    stop.current = false;
    const startedAt = performance.now();
    setProgress({ total, done: 0, startedAt, now: startedAt });
    try {
      for (let sent = 0; sent < total && !stop.current; ) {
        const wave = Array.from({ length: Math.min(WAVE, total - sent) }, () => ({ type: 'deposit', amount: 1 + Math.floor(Math.random() * 100) }) as const);
        const failed = (await bank.sendAll('account', id, wave)).find((result) => result.status === 'rejected');
        if (failed) throw failed.reason;
        sent += wave.length;
        setProgress({ total, done: sent, startedAt, now: performance.now() });
      }
    } catch (error) {
      setProblem(String(error));
    } finally {
      setProgress(undefined);
    }
  };

  return (
    <div className="generator">
      <label>
        Generate
        <select value={total} onChange={(e) => setTotal(Number(e.target.value))} disabled={running} aria-label="Events to generate">
          {SIZES.map((size) => (
            <option key={size} value={size}>
              {formatAmount(size)} events
            </option>
          ))}
        </select>
      </label>
      {running ? (
        <button type="button" className="secondary" onClick={() => (stop.current = true)}>
          Stop
        </button>
      ) : (
        <button type="button" className="secondary" onClick={run} disabled={disabled}>
          Generate
        </button>
      )}
      {progress && <GeneratorProgress progress={progress} />}
      {problem && <p role="alert">{problem}</p>}
    </div>
  );
}

function GeneratorProgress({ progress: { total, done, startedAt, now } }: { progress: Progress }) {
  const seconds = (now - startedAt) / 1_000;
  const rate = seconds > 0 ? done / seconds : 0;
  const left = rate > 0 ? (total - done) / rate : undefined;
  return (
    <div className="generator-progress">
      <progress max={total} value={done} aria-label="Generated events" />
      <span className="muted" data-testid="generator-status">
        {formatAmount(done)} of {formatAmount(total)} · {formatAmount(Math.round(rate))} events/s
        {left !== undefined && ` · ${formatDuration(left)} left`}
      </span>
    </div>
  );
}

/** `1 min 05 s`, `42 s`. */
function formatDuration(seconds: number): string {
  const whole = Math.ceil(seconds);
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes} min ${String(whole % 60).padStart(2, '0')} s` : `${whole} s`;
}
