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
  {
    id: 'request-head-over-16k',
    reason:
      'GET …/documents declares `filter` up to 16,384 characters, but a request line that long cannot arrive: ' +
      "Node's HTTP parser refuses a request head over 16 KiB (http.maxHeaderSize) with 431 and no body, before " +
      'the app runs, so the answer is not the error shape. Fix in main.ts (a clientError handler that answers ' +
      '431 with the contract shape, or a larger maxHeaderSize) or lower the declared maxLength; the app itself ' +
      'is not involved (test/collections/bad-input.test.ts "a filter too long for a URL is refused by the HTTP ' +
      'layer, not crashed on" relies on the same 431).',
    matches: ({ failure, status, note }) =>
      status === 431 && failure.check === 'error_shape' && /^query \w+: longer than \d{4,}/.test(note),
  },
];

export function knownFinding(c: Parameters<KnownFinding['matches']>[0]): KnownFinding | undefined {
  return KNOWN_FINDINGS.find((k) => k.matches(c));
}
