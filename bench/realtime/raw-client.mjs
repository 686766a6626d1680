import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { clearTimeout, setTimeout } from 'node:timers';

/**
 * A minimal socket.io client for the realtime benchmark: a TCP socket per client that does the
 * WebSocket handshake (RFC 6455: Sec-WebSocket-Key checked against Sec-WebSocket-Accept), reads
 * the server's unmasked frames, sends masked ones, and speaks Engine.IO 4 / socket.io 5 on top
 * (open, namespace connect with auth, ping → pong, events, acks). Each `change` is decoded with
 * one JSON.parse, as any client must, but without the WebSocket library's and socket.io-client's
 * per-message stream machinery: 10,000 clients in one process on the server's own 2-core machine
 * then take less of the CPU the server needs. `--client socket.io` runs socket.io-client instead.
 */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const READ_BUFFER = Buffer.alloc(256 * 1024);

/** A masked client→server text frame (RFC 6455 §5.3). */
function frame(text) {
  const payload = Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + n);
  out[0] = 0x81;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, head);
  for (let i = 0; i < n; i++) out[head + 4 + i] = payload[i] ^ mask[i & 3];
  return out;
}

/**
 * Connects to namespace `nsp` of `baseUrl` (http://host:port) with handshake `auth`; resolves
 * once the namespace accepted it. `onEvent(name, payload)` gets every event.
 */
export function connectRaw(baseUrl, nsp, auth, onEvent) {
  const { hostname, port } = new URL(baseUrl);
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  const prefix = nsp === '/' ? '' : `${nsp},`;
  const acks = new Map();
  let nextAck = 0;
  let upgraded = false;
  let pending = null;
  // Reads land in one buffer shared by every client (each read is handled before the next):
  // no allocation and no stream machinery per message. A frame cut by a read is copied out.
  const tcp = tcpConnect({
    host: hostname,
    port: Number(port),
    noDelay: true,
    onread: { buffer: READ_BUFFER, callback: (n, buf) => void onData(buf.subarray(0, n)) },
  });
  let onData = () => {};
  const send = (text) => tcp.write(frame(text));
  const socket = {
    emitWithAck(event, payload, timeoutMs = 30_000) {
      const id = nextAck++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          acks.delete(id);
          reject(new Error(`no ack for ${event} in ${timeoutMs} ms`));
        }, timeoutMs);
        acks.set(id, (args) => {
          clearTimeout(timer);
          resolve(args[0]);
        });
        send(`42${prefix}${id}${JSON.stringify([event, payload])}`);
      });
    },
    disconnect() {
      if (upgraded && !tcp.destroyed) send(`41${prefix}`);
      tcp.destroy();
    },
  };
  return new Promise((resolve, reject) => {
    const message = (text) => {
      const eio = text.charCodeAt(0);
      if (eio === 50 /* 2: ping */) return void send('3');
      if (eio === 48 /* 0: open */) return void send(`40${prefix}${JSON.stringify(auth)}`);
      if (eio !== 52 /* 4: message */) return;
      const type = text.charCodeAt(1);
      // Past `4<type><nsp>,`: an optional ack id, then the JSON.
      let i = 2 + prefix.length;
      let ack = 0;
      let hasAck = false;
      for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) {
        ack = ack * 10 + (c - 48);
        hasAck = true;
      }
      const body = i < text.length ? JSON.parse(text.slice(i)) : undefined;
      if (type === 50 /* 2: event */) onEvent(body[0], body[1]);
      else if (type === 51 /* 3: ack */ && hasAck) {
        acks.get(ack)?.(body);
        acks.delete(ack);
      } else if (type === 48 /* 0: connect */) resolve(socket);
      else if (type === 52 /* 4: connect_error */) reject(new Error(`connect_error: ${JSON.stringify(body)}`));
    };
    /** Whole frames of `buf`; what is left (a frame cut by the TCP read) waits for the next read. */
    const frames = (buf) => {
      let at = 0;
      while (buf.length - at >= 2) {
        const opcode = buf[at] & 0x0f;
        let len = buf[at + 1] & 0x7f;
        let head = 2;
        if (len === 126) {
          if (buf.length - at < 4) break;
          len = buf.readUInt16BE(at + 2);
          head = 4;
        } else if (len === 127) {
          if (buf.length - at < 10) break;
          len = Number(buf.readBigUInt64BE(at + 2));
          head = 10;
        }
        if (buf.length - at < head + len) break;
        const start = at + head;
        at = start + len;
        if (opcode === 1) message(buf.toString('utf8', start, at));
        else if (opcode === 8) tcp.destroy();
      }
      pending = at < buf.length ? Buffer.from(buf.subarray(at)) : null;
    };
    tcp.on('error', reject);
    tcp.on('close', () => reject(new Error('closed before the namespace connected')));
    tcp.on('connect', () =>
      tcp.write(
        `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
          `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    onData = (chunk) => {
      let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return void (pending = Buffer.from(buf));
        const head = buf.toString('latin1', 0, end);
        if (!/^HTTP\/1\.1 101 /.test(head) || !head.includes(`Sec-WebSocket-Accept: ${accept}`)) {
          tcp.destroy();
          return reject(new Error(`WebSocket handshake refused: ${head.split('\r\n')[0]}`));
        }
        upgraded = true;
        buf = buf.subarray(end + 4);
      }
      frames(buf);
    };
  });
}
