/**
 * The ceiling: express's hello world (a small JSON reply), with the express Hearth itself uses,
 * on the same Node. `node hello-server.mjs <port>`; prints "listening" when ready.
 */
import { createRequire } from 'node:module';

const requireFromServer = createRequire(new URL('../../server/package.json', import.meta.url));
const express = requireFromServer('express');

const app = express();
app.get('/', (_req, res) => res.json({ hello: 'world' }));
app.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
