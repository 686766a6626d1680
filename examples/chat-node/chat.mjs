// A terminal chat over a Hearth channel with presence.
// Run: HEARTH_APP=… HEARTH_KEY=pk_… node chat.mjs ada@example.com 'a long password'   (then type lines)
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { createClient, isHearthError } from '@hearth/sdk';

/** Signs in, or signs up the first time. */
export async function signInOrUp(hearth, email, password) {
  try {
    await hearth.auth.signIn({ email, password });
  } catch (e) {
    if (!isHearthError(e, 'unauthorized')) throw e;
    await hearth.auth.signUp({ email, password });
  }
  return hearth.auth.user;
}

/**
 * Joins `room` and calls `print` with each line to show: messages of the others (a message is
 * not echoed to its sender) and who comes and goes. Messages carry the sender's name; Hearth adds
 * who sent it (`from.id`), which a client cannot fake.
 */
export async function joinRoom(hearth, { room, name, print = console.log }) {
  const channel = hearth.channel(room);
  const names = new Map(); // user id → name, learnt from messages
  channel.on('message', (msg, from) => {
    names.set(from.id, msg.name);
    print(`${msg.name}: ${msg.text}`);
  });
  channel.on('presence', (ev, members) =>
    print(`* ${names.get(ev.user.id) ?? ev.user.id} ${ev.type} (${members.length} here)`),
  );
  const members = await channel.join();
  print(`* you joined ${room} (${members.length} here)`);
  return {
    channel,
    say: (text) => channel.publish({ name, text }),
    leave: async () => {
      await channel.leave();
      hearth.realtime.close(); // lets the process exit
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [email, password] = process.argv.slice(2);
  if (!email || !password) {
    console.error('Usage: node chat.mjs <email> <password>');
    process.exit(1);
  }
  const env = process.env;
  const missing = ['HEARTH_APP', 'HEARTH_KEY'].filter((name) => !env[name]);
  if (missing.length) {
    console.error(`Set ${missing.join(' and ')} (the app's id and key, from the dashboard).`);
    process.exit(1);
  }
  const hearth = createClient({
    url: env.HEARTH_URL ?? 'http://localhost:8080',
    app: env.HEARTH_APP,
    key: env.HEARTH_KEY,
  });
  await signInOrUp(hearth, email, password);
  const chat = await joinRoom(hearth, { room: env.ROOM ?? 'room:lobby', name: email.split('@')[0] });
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => line.trim() && void chat.say(line.trim()));
  input.on('close', () => void chat.leave());
}
