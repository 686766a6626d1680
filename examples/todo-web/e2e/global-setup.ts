import { join } from 'node:path';
import { createServer } from 'vite';
import { freePort, startHearth } from '../../test-kit/hearth';
import { createTodoApp } from '../setup.mjs';

/**
 * A live Hearth (the built server), the Todos app created with setup.mjs, and the app's Vite dev
 * server configured for it the way .env.local would. Tests read TODO_WEB_URL. Returns the teardown.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const hearth = await startHearth();
  try {
    const { app, publicKey } = await createTodoApp({ hearthUrl: hearth.url, adminToken: hearth.adminToken });
    process.env.VITE_HEARTH_URL = hearth.url;
    process.env.VITE_HEARTH_APP = app;
    process.env.VITE_HEARTH_KEY = publicKey;
    const root = join(import.meta.dirname, '..');
    const vite = await createServer({
      root,
      configFile: join(root, 'vite.config.ts'),
      // No HMR: its client reloads the page when its socket drops, which offline tests must not see.
      server: { port: await freePort(), strictPort: true, hmr: false },
      logLevel: 'warn',
    });
    await vite.listen();
    process.env.TODO_WEB_URL = vite.resolvedUrls!.local[0]!;
    return async () => {
      await vite.close();
      await hearth.stop();
    };
  } catch (e) {
    await hearth.stop();
    throw e;
  }
}
