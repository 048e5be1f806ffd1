/// <reference types="node" />
// The chaos test's server process (chaos-server.ts, bundled for Node with eventfold from its sources): started on a
// fixed port so that the fault proxy's target stays put across kills, killed with SIGKILL, started again.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../../../tools/bundle-for-node.mjs';

/** A sync server in a child process. */
export interface ServerProcess {
  readonly url: string;
  /** Kills the process at once (SIGKILL: no shutdown, pushes under way cut wherever they are) and starts it again. */
  restart(): Promise<void>;
  /** Lines the server printed as `server-error …`. */
  errors(): readonly string[];
  stop(): Promise<void>;
}

/** Bundles the chaos server and starts it on `port` against the database at `databaseUrl`. */
export async function startServerProcess({ databaseUrl, port, secret }: { databaseUrl: string; port: number; secret: string }): Promise<ServerProcess> {
  // Inside the repository, so that the bundle's imports resolve from its node_modules.
  const cache = fileURLToPath(new URL('../../../node_modules/.cache/', import.meta.url));
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'eventfold-chaos-server-'));
  const file = join(dir, 'chaos-server.mjs');
  await bundleForNode(fileURLToPath(new URL('./chaos-server.ts', import.meta.url)), file);
  const errors: string[] = [];
  let child: ChildProcess | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const started = spawn(process.execPath, [file, databaseUrl, String(port), secret], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      let stderr = '';
      started.once('exit', (code, signal) => reject(new Error(`the chaos server exited (${code ?? signal}) before it served:\n${stderr}`)));
      started.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        if (chunk.includes('listening ')) {
          started.removeAllListeners('exit');
          resolve();
        }
      });
      started.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        for (const line of chunk.split('\n')) if (line.startsWith('server-error ')) errors.push(line.slice('server-error '.length));
      });
    });
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    async restart() {
      await kill();
      await start();
    },
    errors: () => errors,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
