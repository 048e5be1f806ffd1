import { describe, expect, it } from 'vitest';
import { BalanceSeries } from './balance-series.ts';

describe('BalanceSeries', () => {
  it('grows past its first buffer and keeps every value', () => {
    const series = new BalanceSeries();
    for (let i = 1; i <= 5_000; i++) series.push(i * 2);
    expect(series.length).toBe(5_001);
    expect(series.at(0)).toBe(0);
    expect(series.at(4_999)).toBe(9_998);
  });

  it('downsamples to buckets that keep the extremes', () => {
    const series = new BalanceSeries();
    for (let i = 1; i <= 999; i++) series.push(i === 500 ? 1_000_000 : i);
    const points = series.downsample(100);
    expect(points).toHaveLength(100);
    expect(Math.max(...points.map((p) => p.max))).toBe(1_000_000);
    expect(points[0]).toEqual({ index: 0, min: 0, max: 9 });
  });
});
