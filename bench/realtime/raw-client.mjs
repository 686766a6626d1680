import { clearTimeout, setTimeout } from 'node:timers';

/**
 * A minimal socket.io client for the realtime benchmark: one `ws` WebSocket per client speaking
 * Engine.IO 4 / socket.io 5 directly (open, namespace connect with auth, ping → pong, events,
 * acks). It decodes each `change` with one JSON.parse, as any client must, but without
 * socket.io-client's per-message machinery (engine.io-client parser, socket.io-parser, emitter,
 * reconnection manager), so 10,000 clients in one process on the server's machine cost the server
 * less of the shared CPU. `--client socket.io` runs the same benchmark with socket.io-client.
 */

/** `WebSocket`: the `ws` package's class (resolved by the caller through socket.io's own deps). */
export function rawConnector(WebSocket) {
  /**
   * Connects to namespace `nsp` of `baseUrl` (http://host:port) with handshake `auth`; resolves
   * once the namespace accepted it. `onEvent(name, payload)` gets every event.
   */
  return function connect(baseUrl, nsp, auth, onEvent) {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
    });
    const prefix = nsp === '/' ? '' : `${nsp},`;
    const acks = new Map();
    let nextAck = 0;
    const socket = {
      ws,
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
          ws.send(`42${prefix}${id}${JSON.stringify([event, payload])}`);
        });
      },
      disconnect() {
        if (ws.readyState === WebSocket.OPEN) ws.send(`41${prefix}`);
        ws.close();
      },
    };
    return new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.on('close', () => reject(new Error('closed before the namespace connected')));
      ws.on('message', (data) => {
        const text = data.toString();
        const eio = text.charCodeAt(0);
        if (eio === 50 /* 2: ping */) return ws.send('3');
        if (eio === 48 /* 0: open */) return ws.send(`40${prefix}${JSON.stringify(auth)}`);
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
      });
    });
  };
}
