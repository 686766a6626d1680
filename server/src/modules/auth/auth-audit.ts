import type { RequestMeta } from '../../principals.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { auditMeta } from '../audit/index.js';
import type { AuditLog } from '../audit/index.js';

/** Who acts on an app's users or auth settings: an admin (audited under their id) or a secret key. */
export interface Actor extends RequestMeta {
  keyId?: string | null;
}

/**
 * The audit entries of changes made with admin or secret-key power: to a user (`user.update`,
 * `user.delete`, `user.impersonate`, sessions) or to the app's auth settings and signing keys.
 */
export class AuthAudit {
  constructor(private readonly d: { audit: AuditLog }) {}

  async userAction(
    actor: Actor,
    appId: string,
    action: string,
    userId: string,
    details: Record<string, JsonValue>,
  ): Promise<void> {
    await this.d.audit.record({
      adminId: actor.adminId ?? null,
      action,
      target: { type: 'user', id: `${appId}/${userId}` },
      details: { appId, ...(actor.keyId ? { keyId: actor.keyId } : {}), ...details },
      ...auditMeta(actor),
    });
  }

  async settingsChange(actor: Actor, appId: string, fields: string[], action = 'auth.settings.update'): Promise<void> {
    await this.d.audit.record({
      adminId: actor.adminId ?? null,
      action,
      target: { type: 'app', id: appId },
      details: { fields },
      ...auditMeta(actor),
    });
  }
}
