import { createServer } from 'node:http';
import { Buffer } from 'node:buffer';
import { signatureProblem } from './verify.mjs';

/**
 * A webhook receiver: verifies each delivery's signature over the raw body, refuses stale
 * timestamps, and processes each `Hearth-Delivery` once. A repeat is answered 200 without being
 * processed again: Hearth retries a delivery whose 2xx it did not see, and such a retry must not
 * fail (it would be retried for 24 hours). Answer fast; do slow work after answering.
 */
export function createReceiver({ secret, onEvent, toleranceSeconds = 300, now = () => Date.now() }) {
  const processed = new Set(); // in production: a table with a unique index on the delivery id
  return createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks); // the exact bytes: parse JSON only after verifying
      const problem = signatureProblem(raw, req.headers['hearth-signature'], secret, { toleranceSeconds, now: now() });
      if (problem) return res.writeHead(400, { 'content-type': 'text/plain' }).end(problem);
      const delivery = req.headers['hearth-delivery'];
      if (processed.has(delivery)) return res.writeHead(200, { 'content-type': 'text/plain' }).end('already processed');
      processed.add(delivery);
      res.writeHead(204).end();
      onEvent(JSON.parse(raw.toString('utf8')), { delivery, attempt: Number(req.headers['hearth-attempt']) });
    });
  });
}
