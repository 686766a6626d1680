import { invalidRequest, type ErrorDetails } from '../../errors.js';
import { FILTER_LIMITS } from './limits.js';
import type { FilterNode, Path, SortSpec } from './types.js';

/** Field paths as the API takes them: filter keys, `sort` and `fields` parameters. */
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** Keeps user-supplied names in messages and details short. */
export const shown = (s: string): string => (s.length > 64 ? `${s.slice(0, 64)}…` : s);

/** Validates a dotted field path (filter keys, sort keys, projections). */
export function parsePath(path: unknown, extra: ErrorDetails = {}): Path {
  const bad = (why: string) =>
    invalidRequest(`Invalid field path ${JSON.stringify(shown(String(path)))}: ${why}.`, {
      ...extra,
      path: shown(String(path)),
    });
  if (typeof path !== 'string' || path.length === 0) throw bad('it is empty');
  if (path.length > FILTER_LIMITS.maxPathLength) throw bad(`longer than ${FILTER_LIMITS.maxPathLength} characters`);
  const segments = path.split('.');
  if (segments.length > FILTER_LIMITS.maxPathSegments) {
    throw bad(`more than ${FILTER_LIMITS.maxPathSegments} segments`);
  }
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) throw bad('segments are letters, digits and _, not starting with a digit');
    if (FORBIDDEN_SEGMENTS.has(segment)) throw bad(`"${segment}" is reserved`);
  }
  return path;
}

/** Every field path a filter refers to (deduplicated, in order). `$elemMatch` sub-filters are relative to the array's elements, so only the array's path is listed; `$text` refers to the searchable fields, which the caller knows. */
export function collectPaths(node: FilterNode): Path[] {
  const paths = new Set<Path>();
  const visit = (n: FilterNode): void => {
    switch (n.op) {
      case 'and':
      case 'or':
      case 'nor':
        n.children.forEach(visit);
        return;
      case 'field':
        paths.add(n.path);
        return;
      case 'all':
      case 'text':
        return;
    }
  };
  visit(node);
  return [...paths];
}

/** Parses a comma list of keys into a list, rejecting empty items, bad paths and too many keys. */
function splitList(input: unknown, parameter: string, max: number): string[] {
  if (typeof input !== 'string' || input.trim() === '') {
    throw invalidRequest(`${parameter} must name at least one field.`, { parameter });
  }
  const items = input.split(',').map((s) => s.trim());
  if (items.length > max) throw invalidRequest(`${parameter} has more than ${max} fields.`, { parameter, max });
  return items;
}

/** The API's `sort` parameter: `-createdAt,name` (`-` descending; a leading `+` is allowed). */
export function parseSort(input: string): SortSpec {
  const spec: Array<{ path: Path; dir: 1 | -1 }> = [];
  const seen = new Set<string>();
  for (const item of splitList(input, 'sort', FILTER_LIMITS.maxSortKeys)) {
    const dir = item.startsWith('-') ? -1 : 1;
    const path = parsePath(item.startsWith('-') || item.startsWith('+') ? item.slice(1) : item, { parameter: 'sort' });
    if (seen.has(path)) throw invalidRequest(`sort names ${path} more than once.`, { parameter: 'sort', path });
    seen.add(path);
    spec.push({ path, dir });
  }
  return spec;
}

/**
 * The API's `fields` parameter: a comma list of paths. Duplicates, and paths inside another
 * listed path (`a.b` when `a` is listed), are dropped, since both engines return the whole of `a`.
 */
export function parseFields(input: string): Path[] {
  const paths = splitList(input, 'fields', FILTER_LIMITS.maxFields).map((item) =>
    parsePath(item, { parameter: 'fields' }),
  );
  const unique = [...new Set(paths)];
  return unique.filter((path) => !unique.some((other) => other !== path && path.startsWith(`${other}.`)));
}
