import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './client';
import { qs } from './queries';

/** The admin jobs API (`/v1/admin/jobs/queues…`): queues are server-wide, each job names its app. */
export const JOB_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'paused'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface Queue {
  name: string;
  counts: Record<JobState, number>;
}

export interface AdminJob {
  id: string;
  queue: string;
  type: string;
  appId: string | null;
  state: JobState;
  attempts: number;
  attemptsMade: number;
  progress: unknown;
  result: unknown;
  error: string | null;
  data: unknown;
  createdAt: string;
  finishedAt: string | null;
}

export interface JobPage {
  items: AdminJob[];
  /** Offset of the next page, or null on the last one. */
  next: number | null;
}

export const JOB_PAGE_SIZE = 20;

export const jobKeys = {
  queues: ['jobs', 'queues'] as const,
  list: (queue: string, state: JobState, offset: number) => ['jobs', queue, state, offset] as const,
  job: (queue: string, id: string) => ['jobs', queue, 'job', id] as const,
};

const q = (queue: string) => `/v1/admin/jobs/queues/${encodeURIComponent(queue)}`;

export const useQueues = () =>
  useQuery({
    queryKey: jobKeys.queues,
    queryFn: () => api<{ items: Queue[] }>('GET', '/v1/admin/jobs/queues'),
    refetchInterval: 5_000,
  });

export const useJobs = (queue: string, state: JobState, offset: number) =>
  useQuery({
    queryKey: jobKeys.list(queue, state, offset),
    queryFn: () => api<JobPage>('GET', `${q(queue)}/jobs${qs({ state, offset, limit: JOB_PAGE_SIZE })}`),
    enabled: queue !== '',
    refetchInterval: 5_000,
  });

export const useJob = (queue: string, id: string) =>
  useQuery({
    queryKey: jobKeys.job(queue, id),
    queryFn: () => api<AdminJob>('GET', `${q(queue)}/jobs/${encodeURIComponent(id)}`),
    // A job still waiting or running changes: follow it until it settles.
    refetchInterval: (query) => {
      const s = query.state.data?.state;
      return s === 'completed' || s === 'failed' ? false : 2_000;
    },
  });

/** Retry (a failed job) and remove (any job that is not running); both refresh every job view. */
export function useJobActions(queue: string) {
  const client = useQueryClient();
  const settle = () => client.invalidateQueries({ queryKey: ['jobs'] });
  return {
    retry: useMutation({
      mutationFn: (id: string) => api<AdminJob>('POST', `${q(queue)}/jobs/${encodeURIComponent(id)}/retry`),
      onSettled: settle,
    }),
    remove: useMutation({
      mutationFn: (id: string) => api<void>('DELETE', `${q(queue)}/jobs/${encodeURIComponent(id)}`),
      onSettled: settle,
    }),
  };
}
