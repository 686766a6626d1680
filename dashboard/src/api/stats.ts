import { useQuery } from '@tanstack/react-query';
import { api } from './client';

/** GET /v1/admin/apps/:appId/stats: the overview's numbers over a window. */
export type StatsWindow = '1h' | '24h';

export interface AppStats {
  window: StatsWindow;
  from: string;
  to: string;
  traffic: {
    requests: number;
    clientErrors: number;
    serverErrors: number;
    series: Array<{ at: string; requests: number; errors: number }>;
  };
  users: { active: number; total: number };
  documents: { total: number; collections: Array<{ name: string; count: number }> };
  storage: { files: number; bytes: number };
  jobs: { waiting: number; delayed: number; active: number; failed: number; completed: number; capped: boolean };
}

export const useAppStats = (appId: string, window: StatsWindow) =>
  useQuery({
    queryKey: ['apps', appId, 'stats', window],
    queryFn: () => api<AppStats>('GET', `/v1/admin/apps/${appId}/stats?window=${window}`),
    refetchInterval: 15_000,
  });
