import { z } from 'zod';

export const auditEntryView = z.object({
  id: z.string(),
  at: z.string(),
  adminId: z.string().nullable(),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }).nullable(),
  details: z.record(z.string(), z.unknown()),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
});
