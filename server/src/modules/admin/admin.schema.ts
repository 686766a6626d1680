import { z } from 'zod';

export const email = z.email().max(320);
export const newPassword = z.string().min(10, 'must be at least 10 characters').max(256);

export const setupBody = z.strictObject({ email, password: newPassword });
export const loginBody = z.strictObject({ email, password: z.string().min(1).max(256) });
export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(512) });

export const adminView = z.object({
  id: z.string(),
  email: z.string(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
});
