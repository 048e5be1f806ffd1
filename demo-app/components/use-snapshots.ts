import { useEffect, useState } from 'react';
import type { Bank } from '../bank/connection.ts';

/**
 * The sequence numbers of the account's stored snapshots, read again as the head moves on: every 100 events (the
 * account snapshots every 100), or every hundredth of the history in a long one, which keeps this off the hot path
 * of a burst of a million.
 */
export function useSnapshots(bank: Bank, id: string, head: number): readonly number[] {
  const [snapshots, setSnapshots] = useState<readonly number[]>([]);
  const step = Math.max(100, 10 ** Math.floor(Math.log10(Math.max(1, head))) / 100);
  const bucket = Math.floor(head / step);
  useEffect(() => {
    let current = true;
    bank
      .snapshots('account', id)
      .then((found) => current && setSnapshots(found))
      .catch(() => {});
    return () => {
      current = false;
    };
  }, [bank, id, bucket]);
  return snapshots;
}
