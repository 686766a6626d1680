import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** Credentials made at test time, as the providers' consoles hand them out. */
export function serviceAccount(projectId = 'hearth-test') {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `hearth-push@${projectId}.iam.gserviceaccount.com`;
  return {
    json: {
      type: 'service_account',
      project_id: projectId,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: clientEmail,
      client_id: '1234567890',
      token_uri: 'https://oauth2.googleapis.com/token',
    },
    account: { projectId, clientEmail, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
  };
}

export function apnsKey(topic = 'com.example.app') {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyId = randomBytes(5).toString('hex').toUpperCase();
  const teamId = randomBytes(5).toString('hex').toUpperCase();
  return {
    p8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    keyId,
    teamId,
    topic,
    server: { keyId, teamId, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), topics: [topic] },
  };
}

/** A 64-hex-character APNs device token. */
export const apnsToken = () => randomBytes(32).toString('hex');
/** An FCM registration token (the shape FCM hands out: base64url-ish, ~160 characters). */
export const fcmToken = () =>
  `${randomBytes(11).toString('base64url')}:APA91b${randomBytes(100).toString('base64url')}`;
