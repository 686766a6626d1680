/**
 * Typed filters in the contract's language (a JSON subset of MongoDB's): every path must be a
 * field of the document (a typo is a type error), and each field takes only the operators that
 * fit its type (`$gt` on numbers, strings and dates; `$regex` on strings; `$size`, `$all` and
 * `$elemMatch` on arrays).
 */

import type { SystemFields } from './generated/api.js';

/** System fields every document carries (read-only; generated from the server's document schema). */
export type { SystemFields };

export type Doc<T> = T & SystemFields;

type Prev = [never, 0, 1, 2];
type PlainObject = Record<string, unknown>;
type IsPlainObject<V> = V extends readonly unknown[] ? false : V extends PlainObject ? true : false;

/** `title`, `address.city`, … (nested objects up to three levels). */
export type Path<T, D extends number = 3> = [D] extends [never]
  ? never
  : {
      [K in keyof T & string]: IsPlainObject<NonNullable<T[K]>> extends true
        ? string extends keyof NonNullable<T[K]>
          ? K | `${K}.${string}`
          : K | `${K}.${Path<NonNullable<T[K]>, Prev[D]>}`
        : K;
    }[keyof T & string];

/** The type at a dotted path. */
export type PathValue<T, P extends string> = P extends keyof T
  ? T[P]
  : P extends `${infer K}.${infer Rest}`
    ? K extends keyof T
      ? string extends keyof NonNullable<T[K]>
        ? unknown
        : PathValue<NonNullable<T[K]>, Rest>
      : never
    : never;

interface EqualityOps<V> {
  $eq?: V | null;
  $ne?: V | null;
  $in?: readonly (V | null)[];
  $nin?: readonly (V | null)[];
  $exists?: boolean;
}

interface RangeOps<V> {
  $gt?: V;
  $gte?: V;
  $lt?: V;
  $lte?: V;
}

interface StringOps {
  $regex?: string;
  $options?: 'i';
}

type ScalarOps<V> = V extends string
  ? EqualityOps<V> & RangeOps<string> & StringOps
  : V extends number
    ? EqualityOps<V> & RangeOps<number>
    : V extends boolean
      ? EqualityOps<V>
      : EqualityOps<V>;

interface ArrayOps<E> {
  $all?: readonly E[];
  $size?: number;
  $elemMatch?: E extends PlainObject ? Filter<E> : FieldOps<E>;
  $exists?: boolean;
  $in?: readonly E[];
  $nin?: readonly E[];
  $eq?: E | readonly E[] | null;
  $ne?: E | readonly E[] | null;
}

type FieldOps<V> = [V] extends [readonly (infer E)[]] ? ArrayOps<E> : ScalarOps<V>;

/** What a field accepts: a value (equality; an element for arrays), or its operators, or `$not`. */
export type Condition<V> =
  | (NonNullable<V> extends readonly (infer E)[] ? E | readonly E[] : V)
  | null
  | (FieldOps<NonNullable<V>> & { $not?: FieldOps<NonNullable<V>> });

type Fields<T> = Doc<T>;

export type Filter<T> = string extends keyof T
  ? LooseFilter
  : {
      [P in Path<Fields<T>>]?: Condition<PathValue<Fields<T>, P>>;
    } & {
      $and?: readonly Filter<T>[];
      $or?: readonly Filter<T>[];
      $nor?: readonly Filter<T>[];
      /** Full-text search on the collection's searchable fields. */
      $text?: { $search: string };
    };

/** A filter on an untyped collection. */
export type LooseFilter = Record<string, unknown>;

/** `"title"`, `"-createdAt"`: a field, descending with a leading `-`. */
export type SortKey<T> = string extends keyof T ? string : Path<Fields<T>> | `-${Path<Fields<T>>}`;

type NumberKeys<T> = { [K in Path<T>]: NonNullable<PathValue<T, K>> extends number ? K : never }[Path<T>];
type ArrayKeys<T> = { [K in Path<T>]: NonNullable<PathValue<T, K>> extends readonly unknown[] ? K : never }[Path<T>];
type ElementAt<T, K extends string> = NonNullable<PathValue<T, K>> extends readonly (infer E)[] ? E : never;
type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T] & string;

/** Atomic update operators, typed by field: `$inc` numbers, `$push` elements of arrays, … */
export interface UpdateOperators<T> {
  $inc?: { [K in NumberKeys<T>]?: number };
  $push?: { [K in ArrayKeys<T>]?: ElementAt<T, K> | { $each: readonly ElementAt<T, K>[] } };
  $addToSet?: { [K in ArrayKeys<T>]?: ElementAt<T, K> | { $each: readonly ElementAt<T, K>[] } };
  $pull?: { [K in ArrayKeys<T>]?: ElementAt<T, K> | { $in: readonly ElementAt<T, K>[] } };
  $unset?: readonly OptionalKeys<T>[] | { [K in OptionalKeys<T>]?: true };
}

/** A PATCH body: fields to merge plus operators. */
export type UpdateInput<T> = string extends keyof T ? Record<string, unknown> : Partial<T> & UpdateOperators<T>;

/** A create body: fields in `D` (with a server default) and optional fields may be left out. */
export type CreateInput<T, D extends keyof T = never> = Omit<T, D> & Partial<Pick<T, D>>;
