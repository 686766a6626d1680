import { z } from 'zod';
import { ID_PATTERN } from '../lib/ids.js';

/** Request/response pieces shared by every module. */
export const idParam = z.string().regex(ID_PATTERN, 'must be an id');

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(20),
  after: z.string().min(1).max(4096).optional(),
});

export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next: z.string().nullable(), count: z.number().int().optional() });

/** A JSON object whose keys this document does not fix (settings, a mail, a document). */
export const jsonObject = z.record(z.string(), z.unknown());

/** Bytes of any type (a file's content), for /openapi.json. */
export const BINARY = { type: '*/*', schema: { type: 'string', contentMediaType: 'application/octet-stream' } };

export const signInResponse = (user: z.ZodType) =>
  z.object({ user, accessToken: z.string(), refreshToken: z.string(), expiresIn: z.number().int() });
