import { useQuery } from '@tanstack/react-query';
import { api } from './client';
import type { AppRow, Collection, Page } from './types';

/** Query keys and the queries several pages share. */
export const keys = {
  apps: ['apps'] as const,
  app: (id: string) => ['apps', id] as const,
  collections: (app: string) => ['apps', app, 'collections'] as const,
  collection: (app: string, name: string) => ['apps', app, 'collections', name] as const,
  users: (app: string) => ['apps', app, 'users'] as const,
  files: (app: string) => ['apps', app, 'files'] as const,
  keys: (app: string) => ['apps', app, 'keys'] as const,
};

export const useApps = () =>
  useQuery({ queryKey: keys.apps, queryFn: () => api<Page<AppRow>>('GET', '/v1/admin/apps?limit=100') });

export const useApp = (id: string) =>
  useQuery({ queryKey: keys.app(id), queryFn: () => api<AppRow>('GET', `/v1/admin/apps/${id}`) });

export const useCollections = (app: string) =>
  useQuery({
    queryKey: keys.collections(app),
    queryFn: () => api<Page<Collection>>('GET', `/v1/admin/apps/${app}/collections`),
  });

export const useCollection = (app: string, name: string) =>
  useQuery({
    queryKey: keys.collection(app, name),
    queryFn: () => api<Collection>('GET', `/v1/admin/apps/${app}/collections/${encodeURIComponent(name)}`),
  });

export const qs = (params: Record<string, string | number | boolean | undefined | null>): string => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
};
