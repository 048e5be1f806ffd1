import { describe, expect, it } from 'vitest';
import { markdownTable, median, meets, percentile, ratio, ratioChart, replaceRows, slope, textTable } from './report.mjs';

const row = (over: object) => ({ id: 'B1a', what: 'deposits', value: 900, unit: 'cmd/s', baseline: 1_000, baselineName: 'raw idb', better: 'higher' as const, ...over });

describe('benchmark report', () => {
  it('takes medians and nearest-rank percentiles', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('fits the slope of a least-squares line', () => {
    expect(slope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2);
    expect(slope([0, 1, 2, 3], [5, 4, 6, 5])).toBeCloseTo(0.2);
    expect(slope([1, 1], [2, 3])).toBeNaN();
    expect(slope([1], [2])).toBeNaN();
  });

  it('orients ratios so that above 1 is better for eventfold', () => {
    expect(ratio(row({}))).toBeCloseTo(0.9);
    expect(ratio(row({ value: 5, baseline: 10, better: 'lower' }))).toBe(2);
    expect(ratio(row({ baseline: undefined }))).toBeUndefined();
  });

  it('judges ratio goals, ceilings and floors', () => {
    expect(meets(row({ goal: { kind: 'ratio', value: 0.9 } }))).toBe(true);
    expect(meets(row({ goal: { kind: 'ratio', value: 0.95 } }))).toBe(false);
    expect(meets(row({ value: 12, goal: { kind: 'max', value: 16 } }))).toBe(true);
    expect(meets(row({ value: 4_000, goal: { kind: 'min', value: 5_000 } }))).toBe(false);
    expect(meets(row({ value: 6_000, goal: { kind: 'min', value: 5_000 } }))).toBe(true);
    expect(meets(row({}))).toBeUndefined();
  });

  it('puts a section measured alone in place of its old rows, or at the end', () => {
    const rows = [row({ id: 'B1a' }), row({ id: 'P1' }), row({ id: 'P2' }), row({ id: 'B6' })];
    const fresh = [row({ id: 'P1', value: 1 }), row({ id: 'P3', value: 3 })];
    const isServer = (r: { id: string }) => r.id.startsWith('P');
    expect(replaceRows(rows, fresh, isServer).map((r) => `${r.id}:${r.value}`)).toEqual(['B1a:900', 'P1:1', 'P3:3', 'B6:900']);
    expect(replaceRows([row({ id: 'B1a' })], fresh, isServer).map((r) => r.id)).toEqual(['B1a', 'P1', 'P3']);
  });

  it('renders the table and the chart', () => {
    const rows = [row({ goal: { kind: 'ratio', value: 0.95 } }), row({ id: 'B3', baseline: undefined, value: 3.2, unit: 'ms', better: 'lower', goal: { kind: 'max', value: 16 } })];
    const md = markdownTable(rows);
    expect(md).toContain('| B1a | deposits | 900 cmd/s | 1,000 cmd/s (raw idb) | 0.90× | ≥ 0.95× | **no** |');
    expect(md).toContain('| B3 | deposits | 3.2 ms |  |  | ≤ 16 ms | yes |');
    expect(textTable(rows)).toMatch(/NOT MET/);
    const svg = ratioChart(rows);
    expect(svg).toContain('<svg');
    expect(svg).toContain('0.90×');
    expect(svg.match(/<rect x=/g)).toHaveLength(1);
  });
});
