import { fuzzRoutes } from './runner.js';

/** Every operation of /openapi.json, fuzzed on the MongoDB engine (jongodb test server; see runner.ts). */
fuzzRoutes('mongodb');
