import type { RequestHandler, Router } from 'express';
import type { Server as HttpServer } from 'node:http';
import type { RouteSpec } from '../http/route.js';

/**
 * The one shape every module has. A module is a folder under modules/ with an `index.ts` that
 * exports `createXModule(deps) → XModule`, where `XModule extends HearthModule` and adds what
 * other modules may use (`services`, `events`, guards). A module uses another only through that
 * object (its deps name the other module's exported types), never through its files.
 *
 * app.ts builds the modules in dependency order and mounts the list:
 * 1. `pages` of every module (browser legs outside the JSON API: mail-link pages, OAuth
 *    redirects), before app access: they carry no key;
 * 2. `appMiddleware` of every module, in list order, under `/v1/apps/:appId` (the apps module
 *    resolves the app and the caller, then the auth module the user token);
 * 3. `routes` of every module: validated, typed and listed in /openapi.json.
 */
export interface HearthModule {
  readonly name: string;
  /** Route operations (http/route.ts declarations). */
  readonly routes: RouteSpec[];
  /** Express routers for browser pages, mounted at `path` (not in OpenAPI). */
  readonly pages?: ReadonlyArray<{ path: string; router: Router }>;
  /** Paths whose request body the module's routes read themselves (uploads): no JSON body rules. */
  readonly rawBodyPaths?: RegExp[];
  /** Middleware for every request under /v1/apps/:appId, in module-list order. */
  readonly appMiddleware?: RequestHandler[];
  /** Runs once before the app serves: indexes, caches. */
  init?(): Promise<void>;
  /**
   * Joins the listening HTTP server (realtime: socket.io upgrades). Returns what stops it; main.ts
   * calls that before closing the server (open sockets would hold the close).
   */
  attach?(server: HttpServer): () => Promise<void>;
  /** Finishes work that answered requests started (e.g. mail sent after the reply), before shutdown. */
  settle?(): Promise<void>;
}
