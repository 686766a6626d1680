import type { Doc as SdkDoc } from '@hearth/sdk';

/**
 * Shapes of the admin API's answers the dashboard reads (see /openapi.json). Those the SDK
 * generates from the server's schemas (users, sessions, files, installations, document system
 * fields, the error body) come from `@hearth/sdk` (`AuthUser`, `AuthSession`, `FileInfo`,
 * `Installation`, `SystemFields`, `ErrorBody`, `ErrorCode`); the rest are admin-only shapes the
 * SDK does not generate yet, kept here by hand.
 */

/** A list answer: one page of items and the cursor of the next. */
export interface Page<T> {
  items: T[];
  next: string | null;
  count?: number;
}

export interface AppRow {
  id: string;
  name: string;
  createdAt: string;
  updatedAt?: string;
  settings?: { corsOrigins: string[] };
}

export interface CreatedApp extends AppRow {
  keys: { public: string; secret: string };
}

export interface ApiKey {
  id: string;
  appId: string;
  kind: 'public' | 'secret';
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  key?: string;
}

export const FIELD_TYPES = [
  'string',
  'number',
  'integer',
  'boolean',
  'date',
  'email',
  'url',
  'json',
  'array',
  'geopoint',
  'file',
  'relation',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldDef {
  name: string;
  type: FieldType;
  required?: boolean;
  unique?: boolean;
  searchable?: boolean;
  hidden?: boolean;
  default?: unknown;
  to?: string;
  onDelete?: 'restrict' | 'cascade' | 'setNull';
  of?: unknown;
  enum?: (string | number)[];
  min?: number | string;
  max?: number | string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

export interface IndexDef {
  name: string;
  fields: string[];
  unique?: boolean;
}

export type Rule = null | 'public' | 'authenticated' | Record<string, unknown>;
export const RULE_KINDS = ['list', 'get', 'create', 'update', 'delete'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export interface Collection {
  appId: string;
  name: string;
  fields: FieldDef[];
  indexes: IndexDef[];
  strict: boolean;
  rules: Partial<Record<RuleKind, Rule>>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A document of any collection: the system fields every document carries around its own fields. */
export type Doc = SdkDoc<Record<string, unknown>>;

export interface AuditEntry {
  id: string;
  at: string;
  adminId: string | null;
  action: string;
  target: { type: string; id: string } | null;
  details: Record<string, unknown>;
  requestId: string | null;
  ip: string | null;
}

export interface PlaygroundResult {
  items: Doc[];
  next: string | null;
  count: number;
  denied: boolean;
  rule: Rule;
}
