const money = new Intl.NumberFormat('en-US');
const time = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** An amount as people read it: 1,500. */
export const formatAmount = (amount: number) => money.format(amount);

/** A timestamp as a time of day. */
export const formatTime = (timestamp: number) => time.format(timestamp);

/** The number a person typed, tolerating spaces and thousands separators; NaN when it is not a number. */
export function parseAmount(text: string): number {
  const cleaned = text.replace(/[\s,_]/g, '');
  return cleaned === '' ? Number.NaN : Number(cleaned);
}
