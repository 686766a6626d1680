import { z } from 'zod';
import { idParam } from '../../http/schemas.js';

/**
 * Request and response schemas of the webhook routes (schedules: schedules.schema.ts).
 *
 * Event patterns a webhook subscribes to, matched against the modules' event buses:
 * `documents.create`, `documents.update`, `documents.delete` (any collection) or with a
 * collection (`documents.create:todos`, `documents.*:todos`), `documents.*`; `users.create |
 * update | delete`, `users.*`; `files.create | delete`, `files.*`; `*` for every event.
 */
export const EVENT_PATTERN =
  /^(\*|documents\.(\*|create|update|delete)(:[A-Za-z][A-Za-z0-9_]{0,62})?|users\.(\*|create|update|delete)|files\.(\*|create|delete))$/;

export const eventPattern = z
  .string()
  .regex(EVENT_PATTERN, 'must be an event such as documents.create:todos, documents.*, users.create or files.delete');

export const appParams = z.object({ appId: idParam });
export const webhookParams = z.object({ appId: idParam, webhookId: idParam });
export const deliveryParams = z.object({ appId: idParam, webhookId: idParam, deliveryId: idParam });

const url = z.string().min(1).max(2048);
const events = z
  .array(eventPattern)
  .min(1)
  .max(50)
  .refine((list) => new Set(list).size === list.length, 'must not repeat an event');

export const webhookCreate = z.strictObject({
  url,
  events,
  description: z.string().max(500).default(''),
  enabled: z.boolean().default(true),
});

export const webhookPatch = z
  .strictObject({
    url: url.optional(),
    events: events.optional(),
    description: z.string().max(500).optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change something');

export const webhookView = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string(),
  enabled: z.boolean(),
  /** Why it is disabled: null (enabled, or disabled by an admin) or `failing` (disabled automatically). */
  disabledReason: z.enum(['failing']).nullable(),
  disabledAt: z.string().nullable(),
  /** A message for the dashboard when something needs attention (automatic disabling). */
  notice: z.string().nullable(),
  /** The last four characters of the secret, to tell secrets apart. */
  secretHint: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WebhookView = z.infer<typeof webhookView>;

export const webhookWithSecret = webhookView.extend({
  secret: z.string().describe('The signing secret: shown only in this answer'),
});

export const deliveryStatus = z.enum(['pending', 'retrying', 'succeeded', 'failed']);
/** `skipped`: nothing was sent (the webhook was deleted or disabled, or its secret is unreadable). */
export const attemptOutcome = z.enum([
  'success',
  'http_error',
  'redirect',
  'timeout',
  'network_error',
  'refused',
  'skipped',
]);
export type AttemptOutcome = z.infer<typeof attemptOutcome>;

export const attemptView = z.object({
  at: z.string(),
  attempt: z.number().int(),
  outcome: attemptOutcome,
  statusCode: z.number().int().nullable(),
  durationMs: z.number().int(),
  error: z.string().nullable(),
});
export type AttemptView = z.infer<typeof attemptView>;

export const deliveryView = z.object({
  id: z.string(),
  webhookId: z.string(),
  eventId: z.string(),
  event: z.string(),
  status: deliveryStatus,
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  /** Set on a manual redelivery: the delivery it repeats. */
  redeliveryOf: z.string().nullable(),
  request: z.object({ headers: z.record(z.string(), z.string()), body: z.string(), truncated: z.boolean() }),
  response: z
    .object({
      statusCode: z.number().int(),
      headers: z.record(z.string(), z.string()),
      body: z.string(),
      truncated: z.boolean(),
    })
    .nullable(),
  /** The most recent attempts, newest last (at most 20). */
  attemptLog: z.array(attemptView),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DeliveryView = z.infer<typeof deliveryView>;

export const deliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).max(4096).optional(),
  status: deliveryStatus.optional(),
});
