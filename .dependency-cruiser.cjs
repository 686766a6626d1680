/**
 * The server's layers, enforced by the lint step (`pnpm lint` → scripts/check-layers.mjs).
 * docs/architecture.md draws the same picture. Allowed directions:
 *
 *   main.ts → app.ts, config/, engines/compose.ts, migrations/, ports/, lib/, errors.ts
 *   migrations/ → ports/, lib/, errors.ts (data-level changes, run by main.ts before serving)
 *   app.ts  → modules/, http/, ports/, lib/, errors.ts
 *   modules/<m>/ → http/ (the route kit), ports/, lib/, errors.ts, principals.ts, modules/module.ts,
 *                  and other modules only through their index.ts
 *   http/    → ports/, lib/, errors.ts, principals.ts
 *   engines/ → ports/, lib/, errors.ts
 *   ports/   → lib/, errors.ts        config/ → lib/, errors.ts        lib/ → errors.ts
 *
 * and no import cycles (file level here; folder level in scripts/check-layers.mjs).
 */
const src = '^server/src/';
const not = (...paths) => paths.map((p) => `${src}${p}`);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make layers meaningless and module init order fragile.',
      from: { path: src },
      to: { circular: true },
    },
    {
      name: 'only-main-reads-config',
      severity: 'error',
      comment: 'Configuration is read once, in main.ts; everything else gets plain values.',
      from: { path: src, pathNot: [`${src}main\\.ts$`, `${src}config/`] },
      to: { path: `${src}config/` },
    },
    {
      name: 'engines-only-through-compose',
      severity: 'error',
      comment: 'Only engines/compose.ts (called by main.ts) picks and builds engines.',
      from: { path: src, pathNot: [`${src}engines/`, `${src}main\\.ts$`] },
      to: { path: `${src}engines/` },
    },
    {
      name: 'main-uses-compose-only',
      severity: 'error',
      from: { path: `${src}main\\.ts$` },
      to: { path: `${src}engines/`, pathNot: `${src}engines/compose\\.ts$` },
    },
    {
      name: 'nothing-imports-the-entry-points',
      severity: 'error',
      comment: 'main.ts builds app.ts; nothing else imports either.',
      from: { path: src, pathNot: `${src}main\\.ts$` },
      to: { path: not('main\\.ts$', 'app\\.ts$') },
    },
    {
      name: 'app-takes-ports-not-engines-or-config',
      severity: 'error',
      from: { path: `${src}app\\.ts$` },
      to: { path: not('engines/', 'config/') },
    },
    {
      name: 'engines-below-modules-and-http',
      severity: 'error',
      comment: 'Engines implement ports; they know nothing of modules or HTTP.',
      from: { path: `${src}engines/` },
      to: { path: not('modules/', 'http/', 'principals\\.ts$') },
    },
    {
      name: 'http-kit-below-modules',
      severity: 'error',
      comment: 'The http/ route kit is a layer modules use; it never imports a module.',
      from: { path: `${src}http/` },
      to: { path: not('modules/') },
    },
    {
      name: 'ports-are-contracts',
      severity: 'error',
      comment: 'Ports are interfaces (and helpers over them); they import only lib/ and errors.ts.',
      from: { path: `${src}ports/` },
      to: { path: not('modules/', 'http/', 'engines/', 'principals\\.ts$') },
    },
    {
      name: 'migrations-work-on-ports',
      severity: 'error',
      comment: 'Migrations change stored data through the ports; they know nothing of modules, HTTP or engines.',
      from: { path: `${src}migrations/` },
      to: { path: not('modules/', 'http/', 'engines/', 'app\\.ts$', 'principals\\.ts$') },
    },
    {
      name: 'lib-knows-nothing-of-the-app',
      severity: 'error',
      from: { path: `${src}lib/` },
      to: { path: src, pathNot: [`${src}lib/`, `${src}errors\\.ts$`] },
    },
    {
      name: 'errors-is-a-leaf',
      severity: 'error',
      from: { path: [`${src}errors\\.ts$`, `${src}principals\\.ts$`] },
      to: { path: src },
    },
    {
      name: 'modules-through-their-index',
      severity: 'error',
      comment: 'A module uses another only through what that module exports (its index.ts).',
      from: { path: `${src}modules/([^/]+)/` },
      to: {
        path: `${src}modules/([^/]+)/`,
        pathNot: [`${src}modules/$1/`, `${src}modules/[^/]+/index\\.ts$`],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['\\.test\\.ts$', '/dist/'] },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    moduleSystems: ['es6'],
  },
};
