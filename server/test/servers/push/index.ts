/** The three push protocol servers, from one module (so one loader shares their certificate). */
export { startApnsServer, type ApnsServer } from './apns-server.js';
export { startFcmServer, type FcmServer } from './fcm-server.js';
export { startWebPushServer, type WebPushServer } from './webpush-server.js';
export { testCert } from './certs.js';
