import type { Registry } from 'prom-client';
import type { OpenApiRegistry } from '../../http/openapi.js';
import type { ReadinessCheck } from '../../ports/readiness.js';
import type { HearthModule } from '../module.js';
import { systemRoutes } from './system.routes.js';

/** The system module: /healthz, /readyz (every engine's readiness check), /openapi.json, /metrics. */
export function createSystemModule(deps: {
  readiness: ReadinessCheck[];
  metrics: Registry | null;
  /** When set, /metrics needs `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string | undefined;
  openapi: OpenApiRegistry;
  version: string;
  publicUrl: string;
}): HearthModule {
  const { readiness, ...rest } = deps;
  return { name: 'system', routes: systemRoutes({ checks: readiness, ...rest }) };
}
