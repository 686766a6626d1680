// A server-side helper with the app's SECRET key (never ship it in a client): it sits in the room,
// keeps track of who belongs to it and who is here now, and sends a push notification with each
// message to the members who are away. Run: HEARTH_APP=… HEARTH_SECRET_KEY=sk_… node notify-away.mjs
import { pathToFileURL } from 'node:url';
import { createClient } from '@hearth/sdk';

export async function notifyAway({ url, app, secretKey, room, log = (_line) => {} }) {
  const hearth = createClient({ url, app, key: secretKey });
  const channel = hearth.channel(room);
  const belongs = new Set(); // users seen in the room
  channel.on('presence', (ev) => ev.user.id && belongs.add(ev.user.id));
  channel.on('message', async (msg, from) => {
    const here = new Set(channel.members.map((m) => m.id));
    const away = [...belongs].filter((id) => !here.has(id) && id !== from.id);
    if (away.length === 0) return;
    const sent = await hearth.request({
      method: 'POST',
      path: `/v1/apps/${app}/push/messages`,
      body: {
        target: { users: away },
        notification: { title: `${msg.name} in ${room}`, body: msg.text, data: { room } },
        collapseId: room, // a newer message replaces an unread one on the device
      },
    });
    log(`push ${sent.id} to ${away.length} away`);
  });
  for (const m of await channel.join()) if (m.id) belongs.add(m.id);
  return { channel, stop: () => channel.leave().then(() => hearth.realtime.close()) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = process.env;
  const missing = ['HEARTH_APP', 'HEARTH_SECRET_KEY'].filter((name) => !env[name]);
  if (missing.length) {
    console.error(`Set ${missing.join(' and ')} (the app's id and key, from the dashboard).`);
    process.exit(1);
  }
  await notifyAway({
    url: env.HEARTH_URL ?? 'http://localhost:8080',
    app: env.HEARTH_APP,
    secretKey: env.HEARTH_SECRET_KEY,
    room: env.ROOM ?? 'room:lobby',
    log: console.log,
  });
}
