import { where } from '../../lib/filter/build.js';
import type { DocumentStore } from '../../ports/document-store.js';
import type { JobQueue, JobState } from '../../ports/job-queue.js';
import type { Traffic, TrafficWindow } from './traffic.js';

/** The windows an overview may ask for, and how many slices its series has. */
export const WINDOWS = { '1h': { ms: 3600_000, slices: 12 }, '24h': { ms: 24 * 3600_000, slices: 24 } } as const;
export type StatsWindow = keyof typeof WINDOWS;

/** The app's users collection (auth module) and the states of jobs counted. */
const USERS = '_users';
const JOB_STATES = ['waiting', 'delayed', 'active', 'failed', 'completed'] as const satisfies JobState[];
type CountedState = (typeof JOB_STATES)[number];
/** Jobs looked at per queue and state (newest first): beyond it the counts are a lower bound. */
export const JOBS_SCAN = 1000;

export interface AppStats {
  window: StatsWindow;
  from: string;
  to: string;
  traffic: TrafficWindow;
  /** Users who signed in within the window, and all users. */
  users: { active: number; total: number };
  /** Estimated documents per collection (the engines' fast count), and their sum. */
  documents: { total: number; collections: Array<{ name: string; count: number }> };
  storage: { files: number; bytes: number };
  /** This app's jobs by state (completed and failed: finished within the window). */
  jobs: Record<CountedState, number> & { capped: boolean };
}

export class StatsService {
  constructor(
    private readonly deps: {
      store: DocumentStore;
      jobs: JobQueue;
      traffic: Traffic;
      collections: (appId: string) => Promise<string[]>;
      storage: (appId: string) => Promise<{ files: number; bytes: number }>;
      now: () => Date;
    },
  ) {}

  async app(appId: string, window: StatsWindow): Promise<AppStats> {
    const { ms, slices } = WINDOWS[window];
    const to = this.deps.now();
    const from = new Date(to.getTime() - ms);
    const store = this.deps.store.forApp(appId);
    const [active, total, documents, storage, jobs] = await Promise.all([
      store.count(USERS, { filter: where.gte('lastSignInAt', from.toISOString()) }),
      store.count(USERS, { mode: 'estimated' }),
      this.documents(appId),
      this.deps.storage(appId),
      this.jobs(appId, from),
    ]);
    return {
      window,
      from: from.toISOString(),
      to: to.toISOString(),
      traffic: this.deps.traffic.window(appId, ms, slices),
      users: { active, total },
      documents,
      storage,
      jobs,
    };
  }

  private async documents(appId: string): Promise<AppStats['documents']> {
    const store = this.deps.store.forApp(appId);
    const names = await this.deps.collections(appId);
    const collections = await Promise.all(
      names.map(async (name) => ({ name, count: await store.count(name, { mode: 'estimated' }) })),
    );
    return { total: collections.reduce((n, c) => n + c.count, 0), collections };
  }

  /** Jobs carry their app in `data.appId` (job envelopes, push and webhook jobs). */
  private async jobs(appId: string, from: Date): Promise<AppStats['jobs']> {
    const out = { waiting: 0, delayed: 0, active: 0, failed: 0, completed: 0, capped: false } as AppStats['jobs'];
    const queues = await this.deps.jobs.queues();
    await Promise.all(
      queues.flatMap((queue) =>
        JOB_STATES.map(async (state) => {
          const jobs = await this.deps.jobs.list(queue, { state, limit: JOBS_SCAN });
          if (jobs.length === JOBS_SCAN) out.capped = true;
          for (const job of jobs) {
            if ((job.data as { appId?: unknown } | null)?.appId !== appId) continue;
            const finished = state === 'completed' || state === 'failed';
            if (finished && (job.finishedAt ?? job.createdAt) < from) continue;
            out[state] += 1;
          }
        }),
      ),
    );
    return out;
  }
}
