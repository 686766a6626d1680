/** The bounds of the filter language (and of sort and fields), enforced by the parsers. */
export const FILTER_LIMITS = {
  maxDepth: 16,
  maxNodes: 500,
  /** Values in one `$in` / `$nin` / `$all`. */
  maxListValues: 1000,
  /** JSON values (scalars, arrays, objects) in all literals of one filter together. */
  maxLiteralValues: 10_000,
  maxPathSegments: 8,
  maxPathLength: 256,
  maxSearchLength: 256,
  maxSearchTerms: 16,
  maxSortKeys: 8,
  maxFields: 100,
} as const;
