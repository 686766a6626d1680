// Run: WEBHOOK_SECRET=whsec_… node server.mjs   (PORT defaults to 4000)
import { createReceiver } from './receiver.mjs';

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error(
    'Set WEBHOOK_SECRET to the secret Hearth showed when the webhook was created (node setup.mjs prints it).',
  );
  process.exit(1);
}
const port = Number(process.env.PORT ?? 4000);
createReceiver({
  secret,
  onEvent: (event, { delivery }) => console.log(`${event.type} (delivery ${delivery})`, JSON.stringify(event.data)),
}).listen(port, '127.0.0.1', () => console.log(`receiving Hearth webhooks on http://127.0.0.1:${port}/`));
