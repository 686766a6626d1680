import type { Socket } from 'socket.io';
import type { Change } from './fanout.js';

/**
 * `change` packets as bytes: the socket.io EVENT packet (protocol v5: `2<namespace>,<json>`) built
 * once per distinct change, and its WebSocket frame built once for every socket.
 */
export interface Encoded {
  text: string;
  options: { compress?: boolean; wsPreEncodedFrame?: unknown };
}

const serialised = new WeakMap<object, string>();
/** JSON of a document view; views are shared by the subscribers of one event (fanout.ts). */
function jsonOf(doc: Record<string, unknown>): string {
  let json = serialised.get(doc);
  if (json === undefined) serialised.set(doc, (json = JSON.stringify(doc)));
  return json;
}

export function encode(nsp: string, change: Change): Encoded {
  return {
    text: `2${nsp},["change",{"subscription":${JSON.stringify(change.subscription)},"collection":${JSON.stringify(change.collection)},"type":"${change.type}","document":${jsonOf(change.document)},"at":${JSON.stringify(change.at)}}]`,
    options: {},
  };
}

type FrameFn = (data: Buffer, options: Record<string, unknown>) => Buffer[];
let frameFn: FrameFn | null = null;
/**
 * The WebSocket frame of an engine.io message (`4` + packet), computed once and sent as is by
 * engine.io's WebSocket transport to every socket (`wsPreEncodedFrame`, what socket.io's own
 * broadcasts do). ws's `Sender.frame` is taken from a live WebSocket connection's sender; without
 * one (long polling) there is no frame and engine.io encodes per socket as usual.
 */
export function wsFrame(socket: Socket, text: string): Buffer[] | undefined {
  if (!frameFn) {
    const transport = (socket.conn as unknown as { transport?: { socket?: { _sender?: object } } }).transport;
    const sender = transport?.socket?._sender?.constructor as { frame?: FrameFn } | undefined;
    if (typeof sender?.frame !== 'function') return undefined;
    frameFn = sender.frame.bind(sender);
  }
  // One buffer (header and payload together): each socket then gets one plain write, not a corked pair.
  const parts = frameFn(Buffer.from(`4${text}`), { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true });
  return parts.length === 1 ? parts : [Buffer.concat(parts)];
}

interface DirectPath {
  readyState?: string;
  writeBuffer?: unknown[];
  transport?: {
    name?: string;
    opts?: { perMessageDeflate?: unknown };
    socket?: {
      readyState?: number;
      _sender?: { _state?: number; _queue?: unknown[] };
      _socket?: { writableLength: number; writable: boolean; write(chunk: Buffer): boolean };
    };
  };
}

/**
 * Writes a change's WebSocket frame straight to the client's TCP socket, skipping engine.io's
 * per-packet bookkeeping (a packet object, its events, a write callback and a drain per socket:
 * about a fifth of a large fan-out's CPU). Only when that cannot reorder or hide anything: the
 * connection is open on WebSocket, engine.io holds no packet for it, ws's sender has nothing
 * queued, and the socket's own buffer is empty (the kernel takes the bytes now). Otherwise false,
 * and the caller sends through engine.io as usual: a client that stops reading fills the socket's
 * buffer, its changes then queue in engine.io, and the backpressure check (packets waiting there)
 * drops it as before. Relies on engine.io 6 / ws 8 internals; a version that renames them only
 * turns this path off (every check fails, so engine.io sends).
 */
export function writeDirect(conn: unknown, frame: unknown): boolean {
  if (!Array.isArray(frame) || frame.length !== 1) return false;
  const c = conn as DirectPath;
  const ws = c.transport?.socket;
  const tcp = ws?._socket;
  const sender = ws?._sender;
  if (
    c.readyState !== 'open' ||
    c.transport?.name !== 'websocket' ||
    // engine.io itself sends a pre-built frame only without compression (`_canSendPreEncodedFrame`)
    Boolean(c.transport.opts?.perMessageDeflate) ||
    c.writeBuffer?.length !== 0 ||
    ws?.readyState !== 1 ||
    sender?._state !== 0 ||
    sender._queue?.length !== 0 ||
    !tcp?.writable ||
    tcp.writableLength !== 0
  )
    return false;
  tcp.write(frame[0] as Buffer);
  return true;
}
