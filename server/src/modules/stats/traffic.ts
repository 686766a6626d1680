import type { RequestHandler, Response } from 'express';

/**
 * Per-app request counts in one-minute buckets, kept for a day, in this process's memory (the
 * Prometheus metrics are labelled by route, not by app, so they cannot answer "this app's
 * traffic"). Counted when a response to a request under /v1/apps/:appId finishes, for apps the
 * apps module resolved (an unknown app id adds nothing, so the map stays bounded by real apps).
 * Restarting the process starts from zero; with several replicas each counts its own requests.
 */
export const BUCKET_MS = 60_000;
export const KEEP_MS = 24 * 3600_000;

interface Bucket {
  at: number;
  requests: number;
  clientErrors: number;
  serverErrors: number;
}

export interface TrafficWindow {
  requests: number;
  clientErrors: number;
  serverErrors: number;
  /** Equal slices of the window, oldest first. */
  series: Array<{ at: string; requests: number; errors: number }>;
}

export class Traffic {
  private readonly byApp = new Map<string, Bucket[]>();

  constructor(private readonly now: () => Date) {}

  record(appId: string, status: number): void {
    const at = Math.floor(this.now().getTime() / BUCKET_MS) * BUCKET_MS;
    let buckets = this.byApp.get(appId);
    if (!buckets) this.byApp.set(appId, (buckets = []));
    let last = buckets[buckets.length - 1];
    if (!last || last.at !== at) {
      buckets.push((last = { at, requests: 0, clientErrors: 0, serverErrors: 0 }));
      while (buckets.length && buckets[0]!.at < at - KEEP_MS) buckets.shift();
    }
    last.requests += 1;
    if (status >= 500) last.serverErrors += 1;
    else if (status >= 400) last.clientErrors += 1;
  }

  forget(appId: string): void {
    this.byApp.delete(appId);
  }

  window(appId: string, ms: number, slices: number): TrafficWindow {
    const end = this.now().getTime();
    const start = end - ms;
    const step = ms / slices;
    const series = Array.from({ length: slices }, (_, i) => ({
      at: new Date(start + i * step).toISOString(),
      requests: 0,
      errors: 0,
    }));
    const out: TrafficWindow = { requests: 0, clientErrors: 0, serverErrors: 0, series };
    for (const b of this.byApp.get(appId) ?? []) {
      if (b.at + BUCKET_MS <= start) continue;
      out.requests += b.requests;
      out.clientErrors += b.clientErrors;
      out.serverErrors += b.serverErrors;
      const slice = series[Math.min(slices - 1, Math.max(0, Math.floor((b.at - start) / step)))]!;
      slice.requests += b.requests;
      slice.errors += b.serverErrors;
    }
    return out;
  }

  /** App middleware: counts the response when it finishes, if the request reached a real app. */
  middleware(): RequestHandler {
    // One listener function for every response (no closure and no `once` wrapper per request).
    const record = (appId: string, status: number) => this.record(appId, status);
    function onFinish(this: Response): void {
      const appId = this.req.ctx?.app?.id;
      if (appId) record(appId, this.statusCode);
    }
    return (_req, res, next) => {
      res.on('finish', onFinish);
      next();
    };
  }
}
