import type { FieldDef } from '../api/types';

/** The filter builder's conditions, turned into the API's JSON filter language. */
export const OPERATORS = [
  { value: 'eq', label: '=' },
  { value: 'ne', label: '≠' },
  { value: 'gt', label: '>' },
  { value: 'gte', label: '≥' },
  { value: 'lt', label: '<' },
  { value: 'lte', label: '≤' },
  { value: 'regex', label: 'matches' },
  { value: 'in', label: 'in (comma list)' },
  { value: 'exists', label: 'exists' },
  { value: 'missing', label: 'is missing' },
] as const;
export type Operator = (typeof OPERATORS)[number]['value'];

export interface Condition {
  field: string;
  op: Operator;
  value: string;
}

const NUMERIC = new Set(['number', 'integer']);

/** A typed value from the text the admin typed, using the field's type. */
export function coerce(text: string, type: string | undefined): unknown {
  if (type && NUMERIC.has(type)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (type === undefined && text === 'null') return null;
  return text;
}

export function conditionsToFilter(conds: Condition[], fields: FieldDef[]): Record<string, unknown> | null {
  const typeOf = (f: string) => (f === 'version' ? 'integer' : fields.find((d) => d.name === f)?.type);
  const parts = conds
    .filter((c) => c.field)
    .map((c): Record<string, unknown> => {
      const v = coerce(c.value, typeOf(c.field));
      switch (c.op) {
        case 'eq':
          return { [c.field]: v };
        case 'regex':
          return { [c.field]: { $regex: c.value, $options: 'i' } };
        case 'in':
          return { [c.field]: { $in: c.value.split(',').map((s) => coerce(s.trim(), typeOf(c.field))) } };
        case 'exists':
          return { [c.field]: { $exists: true } };
        case 'missing':
          return { [c.field]: { $exists: false } };
        default:
          return { [c.field]: { [`$${c.op}`]: v } };
      }
    });
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0]! : { $and: parts };
}

/** A cell value as text for the grid and CSV. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function csvRow(values: unknown[]): string {
  return values
    .map((v) => {
      const s = cellText(v);
      return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}
