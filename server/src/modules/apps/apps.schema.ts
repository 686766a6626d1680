import { z } from 'zod';

const origin = z
  .string()
  .max(200)
  .refine((v) => v === '*' || /^https?:\/\/[^/\s]+$/.test(v), 'must be "*" or an origin like https://app.example.com');

export const appSettings = z.strictObject({ corsOrigins: z.array(origin).max(50) });

export const appName = z.string().trim().min(1).max(100);
export const createAppBody = z.strictObject({ name: appName, settings: appSettings.partial().optional() });
export const updateAppBody = z
  .strictObject({ name: appName.optional(), settings: appSettings.partial().optional() })
  .refine((v) => v.name !== undefined || v.settings !== undefined, 'name or settings is required');

export const appView = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  settings: z.object({ corsOrigins: z.array(z.string()) }),
});
export const createdAppView = appView.extend({ keys: z.object({ public: z.string(), secret: z.string() }) });

export const scope = z.string().regex(/^[a-z]+:[a-z*]+$/, 'must look like documents:read or push:send');
export const createKeyBody = z.strictObject({
  kind: z.enum(['public', 'secret']),
  name: z.string().trim().min(1).max(100).optional(),
  scopes: z.array(scope).max(20).optional(),
  expiresAt: z.iso.datetime().nullable().optional(),
});
export const rotateKeyBody = z.strictObject({
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(0),
});

export const keyView = z.object({
  id: z.string(),
  appId: z.string(),
  kind: z.enum(['public', 'secret']),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
export const createdKeyView = keyView.extend({ key: z.string() });
