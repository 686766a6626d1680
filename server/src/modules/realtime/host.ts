import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import type { LeasedCounters } from '../../ports/leased-counters.js';
import type { PubSub, SocketAdapter } from '../../ports/pubsub.js';
import type { AppsModule } from '../apps/index.js';
import type { AppUser } from '../auth/index.js';
import type { CollectionRegistry } from '../collections/index.js';
import type { VerifyAdmin } from './admin-session.js';
import type { ChannelRulesService } from './channels.js';
import type { ConnectionLimit } from './connection-limit.js';
import type { Fanout, Outgoing } from './fanout.js';
import type { Presence } from './presence.js';
import type { SocketState } from './session.js';
import type { RealtimeMetrics, RealtimeSettings } from './settings.js';
import type { Subscription, SubscriptionIndex } from './subscriptions.js';

/** What the realtime server is made of (index.ts builds it). */
export interface RealtimeDeps {
  apps: Pick<AppsModule, 'services'>;
  verifyToken: (appId: string, token: string) => Promise<AppUser | null>;
  /** An admin access token's admin (the admin REST API's check), null when refused. */
  verifyAdmin: VerifyAdmin;
  registry: CollectionRegistry;
  channels: ChannelRulesService;
  /** Absent: one process, events go straight from the collections to the subscribers. */
  pubsub?: PubSub | undefined;
  socketAdapter?: SocketAdapter | undefined;
  /** Connections per app across replicas; absent: counted on this server. */
  leases?: LeasedCounters | undefined;
  settings: RealtimeSettings;
  metrics: RealtimeMetrics;
  logger: Logger;
  now: () => Date;
}

/** What a connection's handlers (connection.ts) use of the server (server.ts). */
export interface RealtimeHost {
  readonly deps: RealtimeDeps;
  readonly index: SubscriptionIndex;
  readonly fanout: Fanout;
  readonly presence: Presence | null;
  readonly limit: ConnectionLimit;
  readonly sockets: Map<string, { socket: Socket; state: SocketState }>;
  deliver(sub: Subscription, out: Outgoing): boolean;
  countDelivered(appId: string, n: number): void;
}
