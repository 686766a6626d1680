import type { Installation } from '@hearth/sdk';
import { useQuery } from '@tanstack/react-query';
import { api } from './client';
import { qs } from './queries';
import type { Page } from './types';

/**
 * The admin push API: credentials (fingerprints only), installations, audience, messages. An
 * installation is the SDK's type (generated from the server's schema); the admin-only shapes
 * (credentials, audience, messages) are kept here.
 */
export type { Installation };
export type Platform = Installation['platform'];
export type CredentialKind = 'fcm' | 'apns' | 'vapid';

export interface Credential {
  kind: CredentialKind;
  fingerprint: string;
  [key: string]: unknown;
}

export interface Target {
  all?: true;
  users?: string[];
  channels?: string[];
  installations?: string[];
  filter?: Record<string, unknown>;
}

export interface Audience {
  count: number;
  platforms: Record<Platform, number>;
  sample: Installation[];
}

export interface Counts {
  sent: number;
  failed: number;
  invalid: number;
}

export type MessageState = 'scheduled' | 'sending' | 'done' | 'cancelled' | 'failed';

export interface Message {
  id: string;
  state: MessageState;
  target: Record<string, unknown>;
  notification: { title?: string; body?: string; [key: string]: unknown };
  sendAt: string | null;
  localTime: boolean;
  counts: Counts & { targeted: number };
  providers: Record<Platform, Counts>;
  errors: Array<{ platform: Platform; reason: string; installationId: string }>;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface MessageInput {
  target: Target;
  notification: { title?: string; body?: string; data?: Record<string, unknown> };
  sendAt?: string;
  localTime?: boolean;
  priority?: 'high' | 'normal';
}

const admin = (appId: string) => `/v1/admin/apps/${appId}/push`;

export const pushKeys = {
  all: (appId: string) => ['apps', appId, 'push'] as const,
  credentials: (appId: string) => ['apps', appId, 'push', 'credentials'] as const,
  messages: (appId: string, state?: string) => ['apps', appId, 'push', 'messages', state ?? 'all'] as const,
};

export const pushApi = {
  credentials: (appId: string) => api<{ items: Credential[] }>('GET', `${admin(appId)}/credentials`),
  putCredential: (appId: string, kind: CredentialKind, body: unknown) =>
    api<Credential>('PUT', `${admin(appId)}/credentials/${kind}`, body),
  removeCredential: (appId: string, kind: CredentialKind) => api<void>('DELETE', `${admin(appId)}/credentials/${kind}`),
  rotate: (appId: string) => api<{ resealed: number }>('POST', `${admin(appId)}/credentials/rotate`),
  installations: (
    appId: string,
    q: { after?: string | null; platform?: string | null; channel?: string | null; userId?: string | null },
  ) => api<Page<Installation>>('GET', `${admin(appId)}/installations${qs({ limit: 50, ...q })}`),
  audience: (appId: string, target: Target) => api<Audience>('POST', `${admin(appId)}/audience`, { target }),
  messages: (appId: string, q: { after?: string | null; state?: string | null }) =>
    api<Page<Message>>('GET', `${admin(appId)}/messages${qs({ limit: 20, ...q })}`),
  message: (appId: string, id: string) => api<Message>('GET', `/v1/apps/${appId}/push/messages/${id}`),
  send: (appId: string, input: MessageInput) =>
    api<{ id: string; state: 'scheduled' | 'sending' }>('POST', `/v1/apps/${appId}/push/messages`, input),
  cancel: (appId: string, id: string) => api<Message>('POST', `/v1/apps/${appId}/push/messages/${id}/cancel`),
};

export const useCredentials = (appId: string) =>
  useQuery({ queryKey: pushKeys.credentials(appId), queryFn: () => pushApi.credentials(appId) });
