/** The other modules' exports this module consumes (through their index.ts only). */
export type { AuthModule, SessionEvent, SessionEvents } from '../auth/index.js';
