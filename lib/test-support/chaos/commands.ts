/// <reference types="node" />
// The chaos test's browser commands (Vitest's `browser.commands`): the test page calls them with
// `commands.chaosStart(…)` from `vitest/browser`, and they run here, in Vitest's Node process. The harness is loaded
// on first use only, so that the config stays light for every other run.
import type { BrowserCommand } from 'vitest/node';
import type { ChaosReport, ChaosStarted, ServerRecord } from './chaos-harness.ts';
import type { FaultRates } from './fault-rates.ts';

const harness = () => import('./chaos-harness.ts');

/** The run the environment asks for: `EVENTFOLD_SEED`, `CHAOS_DEVICES` and `CHAOS_STEPS` (a long run), or a quick one. */
export interface ChaosConfig {
  readonly seed: number;
  readonly devices: number;
  readonly steps: number;
  /** Whether `CHAOS_DEVICES` asked for a long run (only its seed is run). */
  readonly long: boolean;
}

declare module 'vitest/browser' {
  interface BrowserCommands {
    /** The run the environment asks for. */
    chaosConfig(): Promise<ChaosConfig>;
    /** Starts PostgreSQL, the sync server and the fault proxy. */
    chaosStart(options: { seed: number; rates: FaultRates }): Promise<ChaosStarted>;
    /** Sets the proxy's fault rates. */
    chaosRates(rates: FaultRates): Promise<void>;
    /** Takes a device offline, or back online. */
    chaosOffline(device: string, offline: boolean): Promise<void>;
    /** Kills the server process and starts it again. */
    chaosRestartServer(): Promise<void>;
    /** What the server stored for a journal. */
    chaosRecord(journalId: string): Promise<ServerRecord>;
    /** What befell the run's requests. */
    chaosReport(options?: { tail?: number; devices?: readonly string[] }): Promise<ChaosReport>;
    /** Stops everything. */
    chaosStop(): Promise<void>;
  }
}

const chaosConfig: BrowserCommand<[]> = (): ChaosConfig => {
  const { EVENTFOLD_SEED, CHAOS_DEVICES, CHAOS_STEPS } = process.env;
  return {
    seed: EVENTFOLD_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(EVENTFOLD_SEED),
    devices: Number(CHAOS_DEVICES ?? 4),
    steps: Number(CHAOS_STEPS ?? (CHAOS_DEVICES === undefined ? 300 : 2000)),
    long: CHAOS_DEVICES !== undefined,
  };
};
const chaosStart: BrowserCommand<[{ seed: number; rates: FaultRates }]> = async (_, options) => (await harness()).chaosStart(options);
const chaosRates: BrowserCommand<[FaultRates]> = async (_, rates) => (await harness()).chaosRates(rates);
const chaosOffline: BrowserCommand<[string, boolean]> = async (_, device, offline) => (await harness()).chaosOffline(device, offline);
const chaosRestartServer: BrowserCommand<[]> = async () => (await harness()).chaosRestartServer();
const chaosRecord: BrowserCommand<[string]> = async (_, journalId) => (await harness()).chaosRecord(journalId);
const chaosReport: BrowserCommand<[{ tail?: number; devices?: readonly string[] }?]> = async (_, options) => (await harness()).chaosReport(options);
const chaosStop: BrowserCommand<[]> = async () => (await harness()).chaosStop();

/** The commands, for the browser project's config. */
export const chaosCommands = { chaosConfig, chaosStart, chaosRates, chaosOffline, chaosRestartServer, chaosRecord, chaosReport, chaosStop };
