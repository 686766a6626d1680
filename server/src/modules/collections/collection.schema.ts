import { z } from 'zod';
import { USER_COLLECTION_PATTERN } from '../../lib/ids.js';
import { SYSTEM_FIELDS } from '../../ports/document-store.js';

/**
 * The admin schema API's request and response shapes (zod: validation, types and OpenAPI from one
 * declaration). Cross-field checks that need the whole collection (a relation's target exists, an
 * index names a field, a default passes its own field's validation, a rule compiles) live in
 * schemas.service.ts / collection.compile.ts; this file checks each piece on its own.
 */

/** Top-level field names: identifiers, no leading `_` or `$`. */
export const FIELD_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
/** Names no schema field may take: system fields, the `expand` envelope, and names JS treats specially. */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set([
  ...SYSTEM_FIELDS,
  'expand',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
]);
/** Index names made by Hearth itself start with this; admins cannot use it. */
export const AUTO_INDEX_PREFIX = 'auto_';

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
/** What an array may hold. */
export const ELEMENT_TYPES = FIELD_TYPES.filter((t) => t !== 'array');
export type ElementType = Exclude<FieldType, 'array'>;

export const ON_DELETE = ['restrict', 'cascade', 'setNull'] as const;
export type OnDelete = (typeof ON_DELETE)[number];

const collectionName = z
  .string()
  .regex(USER_COLLECTION_PATTERN, 'must start with a letter and hold only letters, digits and _ (max 63)');
const fieldName = z
  .string()
  .regex(FIELD_NAME_PATTERN, 'must start with a letter and hold only letters, digits and _ (max 63)')
  .refine((n) => !RESERVED_FIELD_NAMES.has(n), 'is reserved');
const bound = z.union([z.number(), z.string().max(40)]);
const length = z.number().int().min(0).max(1_000_000);
const enumValues = z
  .array(z.union([z.string().max(1000), z.number()]))
  .min(1)
  .max(500);

const constraintShape = {
  enum: enumValues.optional(),
  min: bound.optional(),
  max: bound.optional(),
  minLength: length.optional(),
  maxLength: length.optional(),
  pattern: z.string().min(1).max(256).optional(),
};

export const elementDef = z.strictObject({
  type: z.enum(ELEMENT_TYPES as [ElementType, ...ElementType[]]),
  to: collectionName.optional(),
  ...constraintShape,
});
export type ElementDef = z.output<typeof elementDef>;

export const fieldDef = z.strictObject({
  name: fieldName,
  type: z.enum(FIELD_TYPES),
  required: z.boolean().optional(),
  default: z.unknown().optional(),
  unique: z.boolean().optional(),
  searchable: z.boolean().optional(),
  hidden: z.boolean().optional(),
  /** array: the element type (a type name or a definition with its own constraints). */
  of: z
    .union([z.enum(ELEMENT_TYPES as [ElementType, ...ElementType[]]), elementDef])
    .transform((v) => (typeof v === 'string' ? { type: v } : v))
    .optional(),
  /** relation: the target collection. */
  to: collectionName.optional(),
  /**
   * relation (or array of relations): what deleting the target does to this document;
   * file (or array of files): `keep` (default) or `cascade` (deleting this document deletes the files).
   */
  onDelete: z.enum([...ON_DELETE, 'keep']).optional(),
  ...constraintShape,
});
export type FieldDef = z.output<typeof fieldDef>;

/** `"title"` or `"-createdAt"` (descending); dotted paths allowed. */
const indexKey = z
  .string()
  .regex(
    /^-?[A-Za-z][A-Za-z0-9_]{0,62}(\.[A-Za-z][A-Za-z0-9_]{0,62}){0,7}$/,
    'must be a field path, optionally prefixed with -',
  );
export const indexDef = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, 'must start with a letter and hold only letters, digits and _')
    .refine((n) => !n.startsWith(AUTO_INDEX_PREFIX), `may not start with ${AUTO_INDEX_PREFIX}`),
  fields: z.array(indexKey).min(1).max(8),
  unique: z.boolean().optional(),
});
export type IndexDef = z.output<typeof indexDef>;

/**
 * A rule: `null` (secret key / admin only), `"public"`, `"authenticated"`, or a filter with
 * variables (checked by rules.compile.ts).
 */
export const ruleDef = z.union([
  z.null(),
  z.literal('public'),
  z.literal('authenticated'),
  z.record(z.string(), z.unknown()),
]);
export type RuleDef = z.output<typeof ruleDef>;
export const RULE_KINDS = ['list', 'get', 'create', 'update', 'delete'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export type Rules = Record<RuleKind, RuleDef>;

const rulesShape = Object.fromEntries(RULE_KINDS.map((k) => [k, ruleDef.optional()])) as Record<
  RuleKind,
  z.ZodOptional<typeof ruleDef>
>;
export const rulesPatch = z.strictObject(rulesShape);

/** A new collection's rules: signed-in users may create; only the owner may read, update, delete. */
export const DEFAULT_RULES: Rules = {
  create: 'authenticated',
  list: { owner: '@auth.id' },
  get: { owner: '@auth.id' },
  update: { owner: '@auth.id' },
  delete: { owner: '@auth.id' },
};

export const createCollectionBody = z.strictObject({
  name: collectionName,
  fields: z.array(fieldDef).max(200).default([]),
  indexes: z.array(indexDef).max(32).default([]),
  /** Reject fields the schema does not name (default true). */
  strict: z.boolean().default(true),
  rules: rulesPatch.optional(),
});
export type CreateCollectionInput = z.output<typeof createCollectionBody>;

export const updateCollectionBody = z
  .strictObject({
    addFields: z.array(fieldDef).max(200).optional(),
    /** New definitions for existing fields (matched by name). */
    updateFields: z.array(fieldDef).max(200).optional(),
    removeFields: z.array(fieldName).max(200).optional(),
    renameFields: z
      .array(z.strictObject({ from: fieldName, to: fieldName }))
      .max(200)
      .optional(),
    addIndexes: z.array(indexDef).max(32).optional(),
    dropIndexes: z.array(z.string().max(63)).max(32).optional(),
    strict: z.boolean().optional(),
    rules: rulesPatch.optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'nothing to change');
export type UpdateCollectionInput = z.output<typeof updateCollectionBody>;

/** The stored (and returned) definition of a collection. */
export interface CollectionDef {
  name: string;
  fields: FieldDef[];
  indexes: IndexDef[];
  strict: boolean;
  rules: Rules;
}

export interface CollectionView extends CollectionDef {
  appId: string;
  /** Bumps on every schema change. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

const fieldView = z.object({ name: z.string(), type: z.enum(FIELD_TYPES) }).loose();
export const collectionView = z.object({
  appId: z.string(),
  name: z.string(),
  fields: z.array(fieldView),
  indexes: z.array(z.object({ name: z.string(), fields: z.array(z.string()), unique: z.boolean().optional() })),
  strict: z.boolean(),
  rules: z.record(z.string(), z.unknown()),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const collectionParams = z.object({
  appId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id'),
  name: z.string().max(64),
});
