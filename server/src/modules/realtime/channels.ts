import { z } from 'zod';
import { invalidRequest, isError } from '../../errors.js';
import { isPlainObject } from '../../lib/filter/compare.js';
import { matches } from '../../lib/filter/evaluate.js';
import type { AppStore } from '../../ports/document-store.js';
import { compileRule, ruleDef, ruleFilter, type Caller } from '../collections/index.js';

/**
 * Per-app channel rules: which callers may `join` (and so see presence and messages) and
 * `publish` on which channels. An ordered list of `{pattern, join, publish}`; the first rule
 * whose pattern matches the channel decides. `*` in a pattern matches any run of characters
 * (`room:*`, `team:*:chat`). A rule is `null` (secret key only), `"public"`, `"authenticated"`,
 * or a condition on the caller only, in the rule language: `{"@auth.roles": "moderator"}`,
 * `{"$or": [{"@auth.roles": "staff"}, {"@auth.anonymous": false}]}`. No rule matching: only the
 * secret key. The secret key may do everything.
 */
export const CHANNEL_PATTERN = /^[A-Za-z0-9_:.@*-]{1,128}$/;
export const CHANNEL_NAME = /^[A-Za-z0-9_:.@-]{1,128}$/;

export const channelRule = z.strictObject({
  pattern: z.string().regex(CHANNEL_PATTERN, 'letters, digits, _ : . @ - and * (1-128)'),
  join: ruleDef,
  publish: ruleDef,
});
export const channelRules = z.strictObject({ rules: z.array(channelRule).max(100) });
export type ChannelRules = z.output<typeof channelRules>;

const COLLECTION = 'realtime_channels';
const CACHE_MS = 5000;

/** Keys of a caller-only condition all name a variable (`@auth.…`, `@now`) or combine such conditions. */
function callerOnly(rule: unknown, depth = 0): boolean {
  if (!isPlainObject(rule) || depth > 16) return false;
  return Object.entries(rule).every(([key, value]) =>
    key === '$and' || key === '$or' || key === '$nor'
      ? Array.isArray(value) && value.every((child) => callerOnly(child, depth + 1))
      : key.startsWith('@') && !key.startsWith('@@'),
  );
}

export function validateChannelRules(input: ChannelRules): ChannelRules {
  input.rules.forEach((r, i) => {
    for (const kind of ['join', 'publish'] as const) {
      const rule = r[kind];
      if (rule === null || typeof rule === 'string') continue;
      if (!callerOnly(rule)) {
        throw invalidRequest(`rules[${i}].${kind}: channel rules can only test the caller (@auth.…, @now).`, {
          rule: i,
          kind,
        });
      }
      compileRule(rule, 'list');
    }
  });
  return input;
}

export function patternMatches(pattern: string, channel: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === channel;
  if (!channel.startsWith(parts[0]!)) return false;
  let at = parts[0]!.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = channel.indexOf(parts[i]!, at);
    if (found < 0) return false;
    at = found + parts[i]!.length;
  }
  const last = parts[parts.length - 1]!;
  return channel.length - at >= last.length && channel.endsWith(last);
}

export class ChannelRulesService {
  private readonly cache = new Map<string, { rules: ChannelRules; until: number }>();

  constructor(private readonly deps: { system: AppStore; now: () => Date }) {}

  async get(appId: string): Promise<ChannelRules> {
    const t = this.deps.now().getTime();
    const hit = this.cache.get(appId);
    if (hit && hit.until > t) return hit.rules;
    const doc = await this.deps.system.get(COLLECTION, appId);
    const rules = doc ? (JSON.parse(String(doc.rulesJson)) as ChannelRules) : { rules: [] };
    this.cache.set(appId, { rules, until: t + CACHE_MS });
    return rules;
  }

  async set(appId: string, input: ChannelRules): Promise<ChannelRules> {
    const rules = validateChannelRules(input);
    const data = { appId, rulesJson: JSON.stringify(rules) };
    const existing = await this.deps.system.get(COLLECTION, appId);
    if (existing) await this.deps.system.replace(COLLECTION, appId, data);
    else {
      await this.deps.system.create(COLLECTION, { id: appId, data }).catch(async (e: unknown) => {
        if (!isError(e, 'conflict')) throw e;
        await this.deps.system.replace(COLLECTION, appId, data);
      });
    }
    this.cache.delete(appId);
    return rules;
  }

  async remove(appId: string): Promise<void> {
    this.cache.delete(appId);
    await this.deps.system.delete(COLLECTION, appId).catch((e: unknown) => {
      if (!isError(e, 'not_found')) throw e;
    });
  }

  /** Whether `caller` may `kind` on `channel` under the app's rules. */
  async allows(caller: Caller, channel: string, kind: 'join' | 'publish'): Promise<boolean> {
    if (caller.privileged) return true;
    const { rules } = await this.get(caller.appId);
    const rule = rules.find((r) => patternMatches(r.pattern, channel));
    if (!rule) return false;
    const compiled = compileRule(rule[kind], 'list');
    const node = ruleFilter(compiled, { auth: caller.user, now: this.deps.now().toISOString() });
    // Caller-only tests fold to "all" or "nothing": evaluating on an empty document decides.
    return node !== null && matches(node, {});
  }
}
