import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pushWorld, startPushServers, type PushServers, type PushWorld } from '../push/kit.js';

/** A Hearth on SQLite listening on 127.0.0.1 with its push providers on the local protocol servers, for SDK tests. */
export interface LivePush {
  servers: PushServers;
  w: PushWorld;
  url: string;
  close(): Promise<void>;
}

export async function startLivePush(): Promise<LivePush> {
  const servers = await startPushServers();
  const w = await pushWorld('sqlite', servers);
  const server: Server = w.h.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    servers,
    w,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await w.close();
      await servers.close();
    },
  };
}
