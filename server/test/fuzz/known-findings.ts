import type { Failure } from './oracle.js';

/**
 * Failures the fuzzer finds that are not fixed yet, each with its reason. A failure matching an
 * entry does not fail the run; it is counted and printed under the entry's id in every run's
 * summary (marked, never silently dropped). An entry no case matched in a run is printed too, so
 * a stale one is noticed and removed.
 *
 * Keep `matches` narrow: the operation, the check and something specific about the detail.
 */
export interface KnownFinding {
  id: string;
  reason: string;
  matches(c: { op: string; failure: Failure; note: string; status: number }): boolean;
}

export const KNOWN_FINDINGS: KnownFinding[] = [
  // None open. (request-head-over-16k was fixed by http/client-error.ts.)
];

export function knownFinding(c: Parameters<KnownFinding['matches']>[0]): KnownFinding | undefined {
  return KNOWN_FINDINGS.find((k) => k.matches(c));
}
