import { existsSync, readFileSync, rmSync } from 'node:fs';
import { STATE_FILE, stopServer, type E2EState } from './servers';

/** Stops both servers by pid and removes their data folders. */
export default async function globalTeardown(): Promise<void> {
  if (!existsSync(STATE_FILE)) return;
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as E2EState;
  for (const s of [state.fresh, state.big]) {
    await stopServer(s.pid);
    rmSync(s.dataDir, { recursive: true, force: true });
  }
  rmSync(STATE_FILE, { force: true });
}
