/**
 * The little of socket.io-client the SDK uses, declared here so the SDK's `.d.ts` does not pull
 * socket.io-client's types (and the DOM lib) into every app. socket.io-client's `io` fits.
 */
export interface SocketLike {
  readonly connected: boolean;
  readonly id?: string | undefined;
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener?: (...args: never[]) => void): unknown;
  timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<unknown> };
  connect(): unknown;
  disconnect(): unknown;
  readonly io: { on(event: string, listener: (...args: never[]) => void): unknown };
}

export interface IoOptions {
  transports: string[];
  forceNew: boolean;
  /** Called by socket.io at every (re)connect: the current key and access token. */
  auth: (cb: (data: { key: string; token?: string }) => void) => void;
  reconnectionDelay?: number;
  reconnectionDelayMax?: number;
}

/** `io` from socket.io-client, or anything that makes a socket the same way. */
export type IoFactory = (url: string, options: IoOptions) => SocketLike;

/** socket.io-client, loaded on first use only (apps without realtime never load it). */
export async function loadIo(): Promise<IoFactory> {
  const mod = (await import('socket.io-client')) as unknown as { io?: IoFactory; default?: { io?: IoFactory } };
  const io = mod.io ?? mod.default?.io;
  if (!io) throw new TypeError('socket.io-client did not export io');
  return io;
}
