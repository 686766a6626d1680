import { HearthError, isError } from '../../errors.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { validateTouched, type FieldErrors } from '../collections/index.js';
import type { AuthSettings } from './auth.settings.js';

/**
 * A user's `profile`: the app's profile fields (`profileFields` in the auth settings), checked with
 * the collections' field validation, strictly (unknown names are refused).
 */

/** Applies a profile patch (null removes a field) and checks the result; defaults fill fields never set. */
export function checkProfile(
  s: AuthSettings,
  current: Record<string, JsonValue>,
  patch: Record<string, unknown>,
): Record<string, JsonValue> {
  const schema = { strict: true, fields: new Map(s.profileFields.map((f) => [f.name, f])) };
  const next: Record<string, unknown> = { ...current };
  const touched = new Set(Object.keys(patch));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete next[k];
    else Object.defineProperty(next, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  for (const f of s.profileFields) {
    if (!Object.hasOwn(next, f.name) && f.default !== undefined) {
      next[f.name] = structuredClone(f.default);
      touched.add(f.name);
    } else if (!Object.hasOwn(next, f.name) && f.required) touched.add(f.name);
  }
  try {
    validateTouched(schema, next, touched);
  } catch (e) {
    if (isError(e, 'validation_failed')) {
      const fields = (e.details?.fields ?? {}) as FieldErrors;
      throw new HearthError('validation_failed', 'The profile is invalid.', {
        fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [`profile.${k}`, v])),
      });
    }
    throw e;
  }
  return next as Record<string, JsonValue>;
}

/** The profile of a new account: the fields' defaults (and a check that required ones have one). */
export function defaultProfile(s: AuthSettings): Record<string, JsonValue> {
  return s.profileFields.length ? checkProfile(s, {}, {}) : {};
}
