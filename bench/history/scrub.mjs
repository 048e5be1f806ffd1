// B9: the demo as a user drives it, in Chromium: a history of a million events generated from the page, the balance
// chart's first paint after a reload, and the history slider dragged across the whole history with the mouse, with
// the page's frame times, how soon the state at the slider's position is on screen, and the heap of the page and of
// its worker. Then B10's round trip: the history exported with the demo's Export button, imported with its Import
// button into a fresh browser profile, exported again there, and the two files compared line for line.
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright';
import { build, preview } from 'vite';
import { chromiumLaunchOptions } from '../../tools/chromium.mjs';
import { workerSessions } from '../cdp.mjs';
import { percentile } from '../report.mjs';

const PORT = 4191;
/** A frame of a 60 Hz display, in milliseconds. */
const VSYNC = 1_000 / 60;
/** Mouse moves of the drag, one every 16 ms: a drag across the slider in about four seconds. */
const DRAG_STEPS = 240;

/**
 * Builds the demo as `npm run build` does, into a folder of its own, and serves it.
 * @param {string} root
 */
async function servedDemo(root) {
  const outDir = mkdtempSync(join(tmpdir(), 'eventfold-bench-demo-'));
  const configFile = join(root, 'vite.config.ts');
  await build({ root, configFile, logLevel: 'error', build: { outDir, emptyOutDir: true } });
  const server = await preview({ root, configFile, logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: PORT, strictPort: true } });
  return {
    url: `http://127.0.0.1:${PORT}/`,
    close: async () => {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Runs in the page: notes every frame (its time and the position whose state is shown) and every slider input. */
function installProbe() {
  /** @type {any} */
  const probe = { frames: [], inputs: [], running: true };
  /** @type {any} */ (window).scrubProbe = probe;
  const slider = /** @type {HTMLInputElement} */ (document.querySelector('#history'));
  slider.addEventListener('input', (event) => probe.inputs.push({ at: event.timeStamp, value: Number(slider.value) }), { capture: true });
  // "now" while live (at the head), else "as it was after event #1,234".
  const shown = () => {
    const text = document.querySelector('.as-of')?.textContent ?? '';
    if (text === 'now') return Number(slider.max);
    const digits = /#([\d,]+)/.exec(text)?.[1];
    return digits === undefined ? Number.NaN : Number(digits.replace(/,/g, ''));
  };
  const frame = (/** @type {number} */ at) => {
    probe.frames.push({ at, shown: shown() });
    if (probe.running) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

/**
 * From a probe's frames and inputs: the frame times, and for each input the time until a frame shows the state at
 * its position or at a later input's (a seek overtaken by the drag is served by the newer one).
 * @param {{ frames: { at: number, shown: number }[], inputs: { at: number, value: number }[] }} probe
 */
export function scrubFigures({ frames, inputs }) {
  const frameTimes = frames.slice(1).map((frame, i) => frame.at - /** @type {{ at: number }} */ (frames[i]).at);
  // In whole vsyncs: the page's clock is coarsened to 0.1 ms, so a frame on time reads 16.6 to 16.8 ms.
  const paced = frameTimes.map((ms) => Math.max(1, Math.round(ms / VSYNC)) * VSYNC);
  /** @type {number[]} */
  const latencies = [];
  let unserved = 0;
  for (let i = 0; i < inputs.length; i++) {
    const input = /** @type {{ at: number, value: number }} */ (inputs[i]);
    const later = new Set(inputs.slice(i).map((next) => next.value));
    const served = frames.find((frame) => frame.at >= input.at && later.has(frame.shown));
    if (served) latencies.push(served.at - input.at);
    else unserved++;
  }
  return { frameTimes, paced, latencies, unserved };
}

/**
 * @param {{ root: string, context: import('playwright').BrowserContext, events: 10_000 | 1_000_000, log: (message: string) => void }} options
 * @returns {Promise<{ rows: import('../report.mjs').Row[], samples: Record<string, number[]> }>}
 */
export async function scrubRows({ root, context, events, log }) {
  const demo = await servedDemo(root);
  const page = await context.newPage();
  page.on('pageerror', (error) => log(`demo page error: ${error.message}`));
  try {
    const workers = await workerSessions(context, page);
    await page.goto(`${demo.url}?local`);
    await page.getByLabel('Owner').fill('Scrubbed');
    await page.getByRole('button', { name: 'New account' }).click();
    await page.getByRole('heading', { name: 'Scrubbed' }).waitFor();
    const size = events.toLocaleString('en-US');
    log(`the demo generates ${size} events`);
    await page.getByLabel('Events to generate').selectOption(String(events));
    await page.evaluate(installGenerationProbe);
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.getByRole('button', { name: 'Stop', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Generate', exact: true }).waitFor({ timeout: 60 * 60_000 });
    /** @type {{ elapsed: number, frameTimes: number[] }} */
    const generated = await page.evaluate(() => /** @type {any} */ (window).generationProbe.stop());
    const head = events + 1;

    log('reload: the first paint of the chart');
    await page.reload();
    await page.waitForFunction((expected) => document.querySelector('[data-testid="balance-chart"]')?.getAttribute('data-events') === String(expected), head, { polling: 'raf', timeout: 60_000 });
    const chartPaint = await page.evaluate(() => performance.now());
    await page.waitForFunction((expected) => /** @type {HTMLInputElement | null} */ (document.querySelector('#history'))?.max === String(expected), head);
    await page.waitForFunction(() => !(/** @type {HTMLInputElement} */ (document.querySelector('#history')).disabled));

    log(`dragging the history slider across ${head.toLocaleString('en-US')} events`);
    await page.evaluate(installProbe);
    const box = await page.locator('#history').boundingBox();
    if (!box) throw new Error('the history slider is not on screen');
    const y = box.y + box.height / 2;
    // From the live end (the thumb at the right) to the first event and back to the middle.
    const path = [
      ...Array.from({ length: DRAG_STEPS }, (_, i) => box.x + box.width - 2 - ((box.width - 4) * i) / (DRAG_STEPS - 1)),
      ...Array.from({ length: DRAG_STEPS / 2 }, (_, i) => box.x + 2 + ((box.width - 4) * i) / (DRAG_STEPS - 1)),
    ];
    await page.mouse.move(/** @type {number} */ (path[0]), y);
    await page.mouse.down();
    let heapPeak = 0;
    let workerHeapPeak = 0;
    for (const [i, x] of path.entries()) {
      await page.mouse.move(x, y);
      if (i % 20 === 0) {
        heapPeak = Math.max(heapPeak, (await workers.page.send('Runtime.getHeapUsage')).usedSize / 2 ** 20);
        workerHeapPeak = Math.max(workerHeapPeak, (await workers.send('bank.worker', 'Runtime.getHeapUsage')).usedSize / 2 ** 20);
      }
      await new Promise((resolve) => setTimeout(resolve, 16));
    }
    await page.mouse.up();
    // The last seek on screen, then the probe stopped.
    await page.waitForFunction(() => {
      const probe = /** @type {any} */ (window).scrubProbe;
      const last = probe.inputs.at(-1);
      return last === undefined || probe.frames.at(-1)?.shown === last.value;
    }, undefined, { timeout: 10_000 }).catch(() => {});
    const probe = await page.evaluate(() => {
      const found = /** @type {any} */ (window).scrubProbe;
      found.running = false;
      return { frames: found.frames, inputs: found.inputs };
    });
    const { frameTimes, paced, latencies, unserved } = scrubFigures(probe);
    const dropped = paced.filter((ms) => ms > VSYNC).length;
    await workers.page.send('HeapProfiler.collectGarbage');
    await workers.send('bank.worker', 'HeapProfiler.collectGarbage');
    const pageHeap = (await workers.page.send('Runtime.getHeapUsage')).usedSize / 2 ** 20;
    const workerHeap = (await workers.send('bank.worker', 'Runtime.getHeapUsage')).usedSize / 2 ** 20;

    const rate = (events / generated.elapsed) * 1_000;
    const k = `${size} events`;
    /** @type {import('../report.mjs').Row[]} */
    const rows = [
      { id: 'B9', what: `scrubbing: frame time while dragging the slider across ${k}, p95`, value: percentile(paced, 95), unit: 'ms', better: 'lower', goal: { kind: 'max', value: 16.7 }, note: `frame times in whole frames of the 60 Hz display (the page's clock is coarsened to 0.1 ms): ${dropped} of ${paced.length} frames took longer than one (measured p50 ${percentile(frameTimes, 50).toFixed(1)} ms, p99 ${percentile(frameTimes, 99).toFixed(1)} ms, max ${Math.max(...frameTimes).toFixed(1)} ms); the mouse moved ${path.length} times, 16 ms apart (${probe.inputs.length} slider inputs)` },
      { id: 'B9', what: `scrubbing: from a slider input to the frame that shows the state at its position, p95 (${k})`, value: percentile(latencies, 95), unit: 'ms', better: 'lower', goal: { kind: 'max', value: 33.3 }, note: `p50 ${percentile(latencies, 50).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms; an input waits for the next frame to move the thumb, so 33.3 ms is the state shown at most one frame after the thumb; ${unserved} of ${probe.inputs.length} inputs never shown (overtaken and not reached by a later one)` },
      { id: 'B9', what: `scrubbing: page heap, most seen while dragging (${k})`, value: heapPeak, unit: 'MB', better: 'lower', goal: { kind: 'max', value: 64 }, note: `after a full GC once the drag ended: ${pageHeap.toFixed(1)} MB` },
      { id: 'B9', what: `scrubbing: worker heap, most seen while dragging (${k})`, value: workerHeapPeak, unit: 'MB', better: 'lower', goal: { kind: 'max', value: 64 }, note: `after a full GC once the drag ended: ${workerHeap.toFixed(1)} MB` },
      { id: 'B9', what: `the demo's chart, first paint after a reload (${k})`, value: chartPaint, unit: 'ms', better: 'lower', goal: { kind: 'max', value: 1_000 }, note: 'from the navigation to the frame that draws the balance history read from the worker' },
      { id: 'B9', what: `the demo generates ${k} from the page (deposits, 2,000 to a sendAll)`, value: rate, unit: 'events/s', better: 'higher', note: `${(generated.elapsed / 1_000).toFixed(1)} s; the page's frames meanwhile p50 ${percentile(generated.frameTimes, 50).toFixed(1)} ms, p95 ${percentile(generated.frameTimes, 95).toFixed(1)} ms, max ${Math.max(...generated.frameTimes).toFixed(1)} ms` },
    ];
    rows.push(await roundTrip({ page, url: demo.url, events, log }));
    return { rows, samples: { 'B9-frames': frameTimes, 'B9-latency': latencies } };
  } finally {
    await page.close();
    await demo.close();
  }
}

/**
 * Exports the bank from `page` with the Export button, imports the file with the Import button into the demo in a
 * fresh browser profile, exports it again there, and compares the two files: every line but the header (which says
 * when) must be the same, events with their positions, snapshots and the end line's counts and digest.
 * @param {{ page: import('playwright').Page, url: string, events: number, log: (message: string) => void }} options
 * @returns {Promise<import('../report.mjs').Row>}
 */
async function roundTrip({ page, url, events, log }) {
  const folder = mkdtempSync(join(tmpdir(), 'eventfold-bench-files-'));
  const exportFrom = async (/** @type {import('playwright').Page} */ from, /** @type {string} */ name) => {
    const downloading = from.waitForEvent('download', { timeout: 30 * 60_000 });
    const start = Date.now();
    await from.getByRole('button', { name: 'Export', exact: true }).click();
    const download = await downloading;
    const path = join(folder, name);
    await download.saveAs(path);
    return { path, ms: Date.now() - start };
  };
  const profile = mkdtempSync(join(tmpdir(), 'eventfold-bench-fresh-'));
  const fresh = await chromium.launchPersistentContext(profile, { ...chromiumLaunchOptions, headless: true, acceptDownloads: true });
  try {
    log(`exporting the demo's ${events.toLocaleString('en-US')} events with its Export button`);
    const first = await exportFrom(page, 'first.ndjson');
    log('importing the file into the demo in a fresh browser profile');
    const other = fresh.pages()[0] ?? (await fresh.newPage());
    other.on('pageerror', (error) => log(`fresh profile page error: ${error.message}`));
    await other.goto(`${url}?local`);
    await other.getByRole('button', { name: 'Import', exact: true }).waitFor();
    const start = Date.now();
    await other.getByLabel('Journal file to import').setInputFiles(first.path);
    const done = other.getByRole('status').filter({ hasText: /^Imported / });
    const failed = other.getByRole('alert');
    await done.or(failed).waitFor({ timeout: 60 * 60_000 });
    if (await failed.isVisible()) throw new Error(`B10: the import failed: ${await failed.textContent()}`);
    const imported = Date.now() - start;
    const said = await done.textContent();
    log(`exporting again from the fresh profile (${said})`);
    const second = await exportFrom(other, 'second.ndjson');
    const compared = await sameLines(first.path, second.path);
    if (!compared.equal) throw new Error(`B10: the files differ at line ${compared.line}`);
    const total = events + 1;
    return {
      id: 'B10',
      what: `the demo's ${events.toLocaleString('en-US')} events: Export, Import into a fresh browser profile (checked whole, then stored), Export again`,
      value: (total / imported) * 1_000,
      unit: 'events/s',
      better: 'higher',
      note: `import ${(imported / 1_000).toFixed(1)} s for ${total.toLocaleString('en-US')} events (${said}); Export ${(first.ms / 1_000).toFixed(1)} s for ${(statSync(first.path).size / 2 ** 20).toFixed(0)} MB, ${(second.ms / 1_000).toFixed(1)} s again from the copy; the two files equal line for line (${compared.lines.toLocaleString('en-US')} lines: every event with its position, every snapshot, the counts and the digest), but for the header's time`,
    };
  } finally {
    await fresh.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * Whether two exports hold the same lines after their headers, read side by side without holding either whole.
 * @param {string} a
 * @param {string} b
 */
async function sameLines(a, b) {
  const left = createInterface({ input: createReadStream(a), crlfDelay: Infinity })[Symbol.asyncIterator]();
  const right = createInterface({ input: createReadStream(b), crlfDelay: Infinity })[Symbol.asyncIterator]();
  for (let line = 1; ; line++) {
    const [x, y] = await Promise.all([left.next(), right.next()]);
    if (x.done || y.done) return { equal: x.done === y.done, line, lines: line - 1 };
    if (line > 1 && x.value !== y.value) return { equal: false, line, lines: line };
  }
}

/**
 * Runs in the page: times the generation from the click on Generate to its return (the generator's button back),
 * and notes the frames meanwhile (does the page stay responsive?).
 */
function installGenerationProbe() {
  const frames = /** @type {number[]} */ ([]);
  let running = true;
  let started = 0;
  let ended = 0;
  const generate = () => [...document.querySelectorAll('button')].find((b) => b.textContent === 'Generate');
  generate()?.addEventListener('click', () => (started = performance.now()), { capture: true, once: true });
  const back = new MutationObserver(() => {
    if (started > 0 && ended === 0 && generate()) ended = performance.now();
  });
  back.observe(document.body, { childList: true, subtree: true });
  const frame = (/** @type {number} */ at) => {
    frames.push(at);
    if (running) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  /** @type {any} */ (window).generationProbe = {
    stop() {
      running = false;
      back.disconnect();
      const during = frames.filter((at) => at >= started && at <= ended);
      return { elapsed: ended - started, frameTimes: during.slice(1).map((at, i) => at - /** @type {number} */ (during[i])) };
    },
  };
}
