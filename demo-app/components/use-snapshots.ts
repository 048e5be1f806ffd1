import { useEffect, useState } from 'react';
import type { Bank } from '../bank/connection.ts';

/** The sequence numbers of the account's stored snapshots, read again when the head moves past a new one. */
export function useSnapshots(bank: Bank, id: string, head: number): readonly number[] {
  const [snapshots, setSnapshots] = useState<readonly number[]>([]);
  // Snapshots are taken every 100 events: asking once per hundred keeps this off the hot path of a burst.
  const bucket = Math.floor(head / 100);
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
