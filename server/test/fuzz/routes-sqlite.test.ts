import { fuzzRoutes } from './runner.js';

/** Every operation of /openapi.json, fuzzed on the SQLite engine (see runner.ts). */
fuzzRoutes('sqlite');
