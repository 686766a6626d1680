/**
 * Request-scoped context passed from the HTTP layer into module services: who is calling, on
 * which app, with which key. Modules depend on these types, never on express.
 */
export interface AdminPrincipal {
  id: string;
  email: string;
}

export interface AppSettings {
  /** Origins allowed to call this app's routes from a browser; "*" allows any. */
  corsOrigins: string[];
}

export interface AppPrincipal {
  id: string;
  name: string;
  settings: AppSettings;
}

export interface KeyPrincipal {
  id: string;
  kind: 'public' | 'secret';
  scopes: string[];
}

export interface RequestContext {
  requestId: string;
  admin?: AdminPrincipal;
  adminSessionId?: string;
  app?: AppPrincipal;
  key?: KeyPrincipal;
}

/** What an audited action records about the request that caused it. */
export interface RequestMeta {
  adminId?: string | null;
  requestId?: string;
  ip?: string | null;
  userAgent?: string | null;
}
