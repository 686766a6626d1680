import { isPlainObject } from '../../lib/filter/compare.js';
import { setOwn } from './validate.js';

/**
 * What `@data` holds in an update rule (PATCH, PUT, batch update/replace): every top-level field
 * the write touches, with the value it leaves there, and `null` for a field it removes. So
 * `{"@data.createdBy": {"$exists": false}}` means "this write does not touch createdBy": it refuses
 * `{"createdBy": "x"}`, `{"createdBy": null}`, `{"$unset": ["createdBy"]}` and a PUT that sends or
 * drops it alike. A PUT touches every field it sends and every stored field it drops. A path a
 * PATCH `$unset`s inside a json field is `null` at that path (`@data.meta.color`). Fields the
 * write does not touch are missing. (A create rule's `@data` is the new document's fields.)
 */
export function updateRuleData(
  result: Record<string, unknown>,
  touched: Iterable<string>,
  unsetPaths: readonly string[] = [],
): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const key of touched) setOwn(data, key, Object.hasOwn(result, key) ? result[key] : null);
  const copied = new Set<string>();
  for (const path of unsetPaths) {
    const [first, ...rest] = path.split('.');
    if (rest.length === 0 || !isPlainObject(data[first!])) continue;
    if (!copied.has(first!)) {
      setOwn(data, first!, structuredClone(data[first!]));
      copied.add(first!);
    }
    // Below a scalar there is nothing to remove (the $unset was a no-op there).
    let node: Record<string, unknown> | null = data[first!] as Record<string, unknown>;
    for (const segment of rest.slice(0, -1)) {
      const next: unknown = Object.hasOwn(node, segment) ? node[segment] : undefined;
      if (next === undefined || next === null) setOwn(node, segment, {});
      else if (!isPlainObject(next)) {
        node = null;
        break;
      }
      node = node[segment] as Record<string, unknown>;
    }
    if (node) setOwn(node, rest[rest.length - 1]!, null);
  }
  return data;
}
