import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './client';
import { qs } from './queries';
import type { Page } from './types';

/** The admin webhooks API (`/v1/admin/apps/{app}/webhooks…`). */
export interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  /** `failing`: disabled automatically after failing deliveries. */
  disabledReason: 'failing' | null;
  disabledAt: string | null;
  notice: string | null;
  secretHint: string;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookWithSecret extends Webhook {
  secret: string;
}

export interface WebhookInput {
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'failed';

export interface DeliveryAttempt {
  at: string;
  attempt: number;
  outcome: 'success' | 'http_error' | 'redirect' | 'timeout' | 'network_error' | 'refused' | 'skipped';
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

export interface Delivery {
  id: string;
  webhookId: string;
  eventId: string;
  event: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  redeliveryOf: string | null;
  request: { headers: Record<string, string>; body: string; truncated: boolean };
  response: { statusCode: number; headers: Record<string, string>; body: string; truncated: boolean } | null;
  attemptLog: DeliveryAttempt[];
  createdAt: string;
  updatedAt: string;
}

/** The events a webhook can subscribe to (server: webhooks.schema.ts EVENT_PATTERN); `:collection` narrows documents.*. */
export const WEBHOOK_EVENTS = [
  '*',
  'documents.*',
  'documents.create',
  'documents.update',
  'documents.delete',
  'users.*',
  'users.create',
  'users.update',
  'users.delete',
  'files.*',
  'files.create',
  'files.delete',
];
export const EVENT_PATTERN =
  /^(\*|documents\.(\*|create|update|delete)(:[A-Za-z][A-Za-z0-9_]{0,62})?|users\.(\*|create|update|delete)|files\.(\*|create|delete))$/;

const base = (app: string) => `/v1/admin/apps/${app}/webhooks`;
export const webhookKeys = {
  all: (app: string) => ['apps', app, 'webhooks'] as const,
  one: (app: string, id: string) => ['apps', app, 'webhooks', id] as const,
  deliveries: (app: string, id: string, status: string) => ['apps', app, 'webhooks', id, 'deliveries', status] as const,
};

export const useWebhooks = (app: string) =>
  useQuery({ queryKey: webhookKeys.all(app), queryFn: () => api<Page<Webhook>>('GET', base(app)) });

export const useWebhook = (app: string, id: string) =>
  useQuery({ queryKey: webhookKeys.one(app, id), queryFn: () => api<Webhook>('GET', `${base(app)}/${id}`) });

export const useDeliveries = (app: string, id: string, status: DeliveryStatus | '') =>
  useInfiniteQuery({
    queryKey: webhookKeys.deliveries(app, id, status),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api<Page<Delivery>>('GET', `${base(app)}/${id}/deliveries${qs({ limit: 20, after: pageParam, status })}`),
    getNextPageParam: (p) => p.next,
    refetchInterval: 3_000,
  });

export function useWebhookActions(app: string) {
  const client = useQueryClient();
  const settle = () => client.invalidateQueries({ queryKey: webhookKeys.all(app) });
  return {
    create: useMutation({
      mutationFn: (body: WebhookInput) => api<WebhookWithSecret>('POST', base(app), body),
      onSettled: settle,
    }),
    update: useMutation({
      mutationFn: ({ id, ...body }: Partial<WebhookInput> & { id: string }) =>
        api<Webhook>('PATCH', `${base(app)}/${id}`, body),
      onSettled: settle,
    }),
    remove: useMutation({
      mutationFn: (id: string) => api<void>('DELETE', `${base(app)}/${id}`),
      onSettled: settle,
    }),
    rotate: useMutation({
      mutationFn: (id: string) => api<WebhookWithSecret>('POST', `${base(app)}/${id}/secret`),
      onSettled: settle,
    }),
    redeliver: useMutation({
      mutationFn: ({ id, deliveryId }: { id: string; deliveryId: string }) =>
        api<Delivery>('POST', `${base(app)}/${id}/deliveries/${deliveryId}/redeliver`),
      onSettled: settle,
    }),
  };
}
