// Statistics and rendering of benchmark results: pure functions, tested in Node.

/** @param {number[]} values */
export function median(values) {
  return percentile(values, 50);
}

/**
 * The p-th percentile by nearest rank.
 * @param {number[]} values
 * @param {number} p
 */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/**
 * The slope of the least-squares line through the points (`x` and `y` of equal length), in y per x; `NaN` for fewer
 * than two distinct x.
 * @param {number[]} x
 * @param {number[]} y
 */
export function slope(x, y) {
  const n = Math.min(x.length, y.length);
  if (n < 2) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += /** @type {number} */ (x[i]) / n;
    my += /** @type {number} */ (y[i]) / n;
  }
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = /** @type {number} */ (x[i]) - mx;
    sxy += dx * (/** @type {number} */ (y[i]) - my);
    sxx += dx * dx;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

/**
 * @typedef {object} Row
 * @property {string} id
 * @property {string} what
 * @property {number} value          eventfold's figure
 * @property {string} unit
 * @property {number} [baseline]     the baseline's figure, measured in the same run
 * @property {string} [baselineName]
 * @property {'higher' | 'lower'} better  whether a higher or a lower figure is better
 * @property {{ kind: 'ratio' | 'max' | 'min', value: number }} [goal]  a minimum ratio to the baseline, or a maximum or
 *   minimum value
 * @property {string} [note]
 * @property {string} [label]        a short name for the chart
 */

/**
 * eventfold's figure relative to its baseline, oriented so that above 1 is better for eventfold.
 * @param {Row} row
 */
export function ratio(row) {
  if (row.baseline === undefined) return undefined;
  return row.better === 'higher' ? row.value / row.baseline : row.baseline / row.value;
}

/**
 * Whether the row meets its goal, or `undefined` without one.
 * @param {Row} row
 */
export function meets(row) {
  if (!row.goal) return undefined;
  if (row.goal.kind === 'ratio') return (ratio(row) ?? 0) >= row.goal.value;
  if (row.goal.kind === 'min') return row.value >= row.goal.value;
  return row.value <= row.goal.value;
}

/**
 * `rows` with the rows that `belongs` picks replaced by `section`, which takes the place of the first of them (the end
 * when there was none): how a section measured alone (`--sizes`, `--server`) goes into the last run's results.
 * @param {Row[]} rows
 * @param {Row[]} section
 * @param {(row: Row) => boolean} belongs
 */
export function replaceRows(rows, section, belongs) {
  const at = rows.findIndex(belongs);
  const kept = rows.filter((row) => !belongs(row));
  kept.splice(at < 0 ? kept.length : at, 0, ...section);
  return kept;
}

/** @param {number} value */
export function formatNumber(value) {
  if (!Number.isFinite(value)) return '–';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** @param {Row} row */
function goalText(row) {
  if (!row.goal) return '';
  if (row.goal.kind === 'ratio') return `≥ ${row.goal.value}×`;
  return `${row.goal.kind === 'min' ? '≥' : '≤'} ${formatNumber(row.goal.value)} ${row.unit}`;
}

/**
 * The results as a Markdown table.
 * @param {Row[]} rows
 */
export function markdownTable(rows) {
  const lines = [
    '| id | what | eventfold | baseline (same run) | ratio | goal | met |',
    '|---|---|---:|---:|---:|---|---|',
  ];
  for (const row of rows) {
    const r = ratio(row);
    const met = meets(row);
    lines.push(
      `| ${row.id} | ${row.what} | ${formatNumber(row.value)} ${row.unit} | ${
        row.baseline === undefined ? '' : `${formatNumber(row.baseline)} ${row.unit} (${row.baselineName})`
      } | ${r === undefined ? '' : `${r.toFixed(2)}×`} | ${goalText(row)} | ${met === undefined ? '' : met ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The results as a plain-text table for the terminal.
 * @param {Row[]} rows
 */
export function textTable(rows) {
  const cells = rows.map((row) => {
    const r = ratio(row);
    const met = meets(row);
    return [
      row.id,
      row.what,
      `${formatNumber(row.value)} ${row.unit}`,
      row.baseline === undefined ? '' : `${formatNumber(row.baseline)} (${row.baselineName})`,
      r === undefined ? '' : `${r.toFixed(2)}x`,
      goalText(row),
      met === undefined ? '' : met ? 'met' : 'NOT MET',
    ];
  });
  const header = ['id', 'what', 'eventfold', 'baseline', 'ratio', 'goal', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (/** @type {string[]} */ c) => c.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/**
 * A bar chart (SVG) of the rows that have a baseline: eventfold's ratio to it, with the goal marked.
 * @param {Row[]} rows
 */
export function ratioChart(rows) {
  const bars = rows.filter((row) => ratio(row) !== undefined);
  const barHeight = 22;
  const gap = 10;
  const left = 230;
  const width = 720;
  const plot = width - left - 60;
  const top = 34;
  const height = top + bars.length * (barHeight + gap) + 30;
  const max = Math.max(1.5, ...bars.map((row) => /** @type {number} */ (ratio(row))));
  const x = (/** @type {number} */ value) => left + (value / max) * plot;
  const escape = (/** @type {string} */ text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="13" font-weight="600" fill="#1b2430">eventfold ÷ baseline, measured in the same run (higher is better; 1× = as fast as the baseline)</text>`,
    `<line x1="${x(1)}" x2="${x(1)}" y1="${top - 6}" y2="${height - 24}" stroke="#5b6573" stroke-dasharray="3 3"/>`,
    `<text x="${x(1)}" y="${height - 10}" text-anchor="middle" fill="#5b6573">1×</text>`,
  ];
  bars.forEach((row, i) => {
    const y = top + i * (barHeight + gap);
    const value = /** @type {number} */ (ratio(row));
    const met = meets(row);
    const colour = met === false ? '#c0392b' : '#1f4e79';
    parts.push(
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end" fill="#1b2430">${escape(`${row.id} ${row.label ?? ''} vs ${row.baselineName ?? 'baseline'}`)}</text>`,
      `<rect x="${left}" y="${y}" width="${Math.max(1, x(value) - left)}" height="${barHeight}" fill="${colour}" rx="3"/>`,
      `<text x="${x(value) + 6}" y="${y + 15}" fill="#1b2430">${value.toFixed(2)}×</text>`,
    );
    if (row.goal?.kind === 'ratio') {
      const gx = x(row.goal.value);
      parts.push(`<line x1="${gx}" x2="${gx}" y1="${y - 3}" y2="${y + barHeight + 3}" stroke="#d08b00" stroke-width="2"/>`);
    }
  });
  parts.push(
    `<text x="${width - 10}" y="${height - 10}" text-anchor="end" fill="#8a5300">orange tick: goal</text>`,
    '</svg>',
  );
  return parts.join('\n');
}
