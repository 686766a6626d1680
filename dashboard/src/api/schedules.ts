import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './client';
import { qs } from './queries';
import type { Page } from './types';

/** The admin schedules API (`/v1/admin/apps/{app}/schedules…`): a cron in a time zone calling a webhook or a job. */
export type ScheduleTarget =
  { type: 'webhook'; webhookId: string } | { type: 'job'; job: string; payload: Record<string, unknown> };

export interface Schedule {
  id: string;
  name: string;
  description: string;
  cron: string;
  timezone: string;
  target: ScheduleTarget;
  enabled: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ScheduleInput {
  name: string;
  description: string;
  cron: string;
  timezone: string;
  target: ScheduleTarget;
  enabled: boolean;
}

export interface ScheduleRun {
  id: string;
  scheduleId: string;
  trigger: 'cron' | 'manual';
  at: string;
  status: 'delivered' | 'skipped';
  deliveryId: string | null;
  jobId: string | null;
  error: string | null;
}

const base = (app: string) => `/v1/admin/apps/${app}/schedules`;
export const scheduleKeys = {
  all: (app: string) => ['apps', app, 'schedules'] as const,
  runs: (app: string, id: string) => ['apps', app, 'schedules', id, 'runs'] as const,
};

export const useSchedules = (app: string) =>
  useQuery({ queryKey: scheduleKeys.all(app), queryFn: () => api<Page<Schedule>>('GET', base(app)) });

export const useRuns = (app: string, id: string | null) =>
  useInfiniteQuery({
    queryKey: scheduleKeys.runs(app, id ?? ''),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api<Page<ScheduleRun>>('GET', `${base(app)}/${id}/runs${qs({ limit: 20, after: pageParam })}`),
    getNextPageParam: (p) => p.next,
    enabled: id !== null,
    refetchInterval: 5_000,
  });

export function useScheduleActions(app: string) {
  const client = useQueryClient();
  const settle = () => client.invalidateQueries({ queryKey: scheduleKeys.all(app) });
  return {
    create: useMutation({
      mutationFn: (body: ScheduleInput) => api<Schedule>('POST', base(app), body),
      onSettled: settle,
    }),
    update: useMutation({
      mutationFn: ({ id, ...body }: Partial<ScheduleInput> & { id: string }) =>
        api<Schedule>('PATCH', `${base(app)}/${id}`, body),
      onSettled: settle,
    }),
    remove: useMutation({ mutationFn: (id: string) => api<void>('DELETE', `${base(app)}/${id}`), onSettled: settle }),
    run: useMutation({
      mutationFn: (id: string) => api<ScheduleRun>('POST', `${base(app)}/${id}/run`),
      onSettled: settle,
    }),
  };
}
