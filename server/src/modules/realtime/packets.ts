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
