import type { TestUser } from '../users.js';

/**
 * One row of the access scenario table: method, url, credentials, body → status, body, events.
 * Every row runs against the same fixture state (scenario-fixture.ts puts back whatever a row
 * changed), so rows are independent of each other and of their order.
 */
export type Cred = 'alice' | 'bob' | 'anon' | 'public' | 'secret' | 'admin' | 'otherPk' | 'otherSk' | 'otherUser';

export interface Row {
  name: string;
  as: Cred;
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /**
   * A url; `{app}` is the fixture app, `{key}` a fixture document's id, `{alice}`/`{bob}` user
   * ids. A placeholder that names nothing fails the row.
   */
  url: string;
  body?: unknown;
  status: number;
  /** Error code, required for error statuses. */
  code?: string;
  /** `details.reason`, required for 403s (a rule refusal is `rule_denied`). */
  reason?: string;
  /** For lists: exactly these fixture keys (in any order). */
  ids?: string[];
  /** Anything else to check on the body. */
  check?: (body: Record<string, unknown>, f: Fixture) => void;
  /** Events emitted by this request, as `type:collection` (default: none). */
  events?: string[];
}

export interface Fixture {
  appId: string;
  /** Fixture document ids by key (`nA`, `pPubA`, …). */
  ids: Record<string, string>;
  keyOf: Map<string, string>;
  users: Record<'alice' | 'bob' | 'anon', TestUser>;
}

export const C = '/v1/apps/{app}/collections';
export const q = (filter: unknown) => encodeURIComponent(JSON.stringify(filter));
