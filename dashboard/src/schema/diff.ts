import type { Collection, FieldDef, IndexDef, Rule, RuleKind } from '../api/types';
import { RULE_KINDS } from '../api/types';

/** A field being edited: its definition plus the name it has on the server (null = new). */
export interface DraftField {
  key: string;
  from: string | null;
  def: FieldDef;
}

export interface Draft {
  name: string;
  fields: DraftField[];
  indexes: IndexDef[];
  strict: boolean;
  rules: Partial<Record<RuleKind, Rule>>;
}

let seq = 0;
export const newKey = () => `f${++seq}`;

export const draftOf = (c: Collection | null, name = ''): Draft => ({
  name: c?.name ?? name,
  fields: (c?.fields ?? []).map((f) => ({ key: newKey(), from: f.name, def: { ...f } })),
  indexes: (c?.indexes ?? []).map((i) => ({ ...i })),
  strict: c?.strict ?? true,
  rules: { ...(c?.rules ?? {}) },
});

/** Drops empty optional keys so an untouched field compares equal to its stored definition. */
export function cleanField(f: FieldDef): FieldDef {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || v === '' || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out as unknown as FieldDef;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export interface Change {
  kind: 'add' | 'remove' | 'change';
  text: string;
  /** What it does to existing documents, when anything. */
  effect?: string;
}

/** The PATCH body that turns `base` into `draft`, and the changes in words. */
export function diffCollection(base: Collection, draft: Draft): { body: Record<string, unknown>; changes: Change[] } {
  const body: Record<string, unknown> = {};
  const changes: Change[] = [];
  const byName = new Map(base.fields.map((f) => [f.name, f]));
  const kept = new Set(draft.fields.map((f) => f.from).filter((n): n is string => n !== null));
  const removeFields = base.fields.map((f) => f.name).filter((n) => !kept.has(n));
  const renameFields: { from: string; to: string }[] = [];
  const addFields: FieldDef[] = [];
  const updateFields: FieldDef[] = [];
  for (const f of draft.fields) {
    const def = cleanField(f.def);
    if (f.from === null) {
      addFields.push(def);
      changes.push({
        kind: 'add',
        text: `Add field ${def.name} (${def.type})`,
        effect: def.default !== undefined ? `existing documents read ${JSON.stringify(def.default)}` : undefined,
      });
      continue;
    }
    if (f.from !== def.name) {
      renameFields.push({ from: f.from, to: def.name });
      changes.push({
        kind: 'change',
        text: `Rename field ${f.from} → ${def.name}`,
        effect: 'values move to the new name, document by document',
      });
    }
    const old = cleanField(byName.get(f.from)!);
    if (!same({ ...old, name: def.name }, def)) {
      updateFields.push(def);
      changes.push({
        kind: 'change',
        text: `Change field ${def.name}: ${describe(old, def)}`,
        effect: 'new writes are validated; stored documents are not rewritten',
      });
    }
  }
  for (const n of removeFields)
    changes.push({ kind: 'remove', text: `Remove field ${n}`, effect: 'its values are deleted from every document' });
  const baseIdx = new Map(base.indexes.map((i) => [i.name, i]));
  const draftIdx = new Map(draft.indexes.map((i) => [i.name, i]));
  const dropIndexes: string[] = [];
  const addIndexes: IndexDef[] = [];
  for (const [n, i] of baseIdx) {
    const d = draftIdx.get(n);
    if (!d || !same(cleanIndex(d), cleanIndex(i))) {
      dropIndexes.push(n);
      changes.push({ kind: 'remove', text: `Drop index ${n}` });
    }
  }
  for (const [n, i] of draftIdx) {
    const b = baseIdx.get(n);
    if (!b || !same(cleanIndex(b), cleanIndex(i))) {
      addIndexes.push(cleanIndex(i));
      changes.push({
        kind: 'add',
        text: `Add ${i.unique ? 'unique ' : ''}index ${n} on ${i.fields.join(', ')}`,
        effect: i.unique ? 'refused (409) if existing documents clash' : 'built over existing documents',
      });
    }
  }
  const rules: Partial<Record<RuleKind, Rule>> = {};
  for (const k of RULE_KINDS) {
    if (!same(base.rules[k] ?? null, draft.rules[k] ?? null)) {
      rules[k] = draft.rules[k] ?? null;
      changes.push({ kind: 'change', text: `Rule ${k}: ${ruleText(base.rules[k])} → ${ruleText(draft.rules[k])}` });
    }
  }
  if (draft.strict !== base.strict) {
    body.strict = draft.strict;
    changes.push({
      kind: 'change',
      text: draft.strict ? 'Refuse unknown fields (strict)' : 'Accept unknown fields (not strict)',
    });
  }
  if (addFields.length) body.addFields = addFields;
  if (updateFields.length) body.updateFields = updateFields;
  if (removeFields.length) body.removeFields = removeFields;
  if (renameFields.length) body.renameFields = renameFields;
  if (addIndexes.length) body.addIndexes = addIndexes;
  if (dropIndexes.length) body.dropIndexes = dropIndexes;
  if (Object.keys(rules).length) body.rules = rules;
  return { body, changes };
}

/** The POST body for a new collection. */
export const createBody = (d: Draft) => ({
  name: d.name,
  fields: d.fields.map((f) => cleanField(f.def)),
  indexes: d.indexes.map(cleanIndex),
  strict: d.strict,
  rules: d.rules,
});

const cleanIndex = (i: IndexDef): IndexDef => ({
  name: i.name,
  fields: i.fields,
  ...(i.unique ? { unique: true } : {}),
});

export const ruleText = (r: Rule | undefined): string =>
  r === undefined || r === null ? 'admins only' : typeof r === 'string' ? r : JSON.stringify(r);

function describe(a: FieldDef, b: FieldDef): string {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const parts: string[] = [];
  for (const k of keys) {
    if (k === 'name') continue;
    const x = (a as unknown as Record<string, unknown>)[k];
    const y = (b as unknown as Record<string, unknown>)[k];
    if (!same(x, y))
      parts.push(`${k} ${x === undefined ? '—' : JSON.stringify(x)} → ${y === undefined ? '—' : JSON.stringify(y)}`);
  }
  return parts.join(', ');
}
