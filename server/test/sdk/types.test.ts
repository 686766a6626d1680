import {
  createClient,
  type CollectionRef,
  type Doc,
  type Filter,
  HearthError,
  type ErrorReason,
  type UpdateInput,
} from '@hearth/sdk';
import { describe, expectTypeOf, it } from 'vitest';

/**
 * The SDK's generics, checked by the compiler (`pnpm typecheck` compiles this file): each
 * `@ts-expect-error` is a call that must NOT compile; the `expectTypeOf`s pin inferred types.
 */
interface Todo {
  title: string;
  done: boolean;
  priority?: number;
  due?: string;
  tags?: string[];
  assignee?: { name: string; age: number };
  subtasks?: Array<{ title: string; done: boolean }>;
}

declare module '@hearth/sdk' {
  interface Collections {
    notes: { fields: { text: string; pinned: boolean }; defaults: 'pinned' };
  }
}

// The calls below also run: a fetch that answers every request with an empty 204.
const hearth = createClient({
  url: 'http://localhost:8080',
  app: 'app',
  key: 'pk_x',
  fetch: async () => ({ status: 204, ok: true, headers: { get: () => null }, text: async () => '' }),
});
const todos = hearth.collection<Todo, 'done'>('todos');

describe('SDK types', () => {
  it('create leaves out fields with a server default and optional ones', () => {
    expectTypeOf(todos.create).toBeCallableWith({ title: 'Buy milk' });
    expectTypeOf(todos.create).toBeCallableWith({ title: 'Buy milk', done: true, tags: ['home'] });
    // @ts-expect-error title is required
    void todos.create({ done: false });
    // @ts-expect-error wrong type
    void todos.create({ title: 1 });
    // @ts-expect-error unknown field
    void todos.create({ title: 'x', titel: 'x' });
    expectTypeOf<Awaited<ReturnType<typeof todos.create>>>().toEqualTypeOf<Doc<Todo>>();
    expectTypeOf<Doc<Todo>['version']>().toEqualTypeOf<number>();
  });

  it('filters: operators by field type, unknown fields are errors', () => {
    const ok: Filter<Todo>[] = [
      { done: false },
      { title: { $regex: '^Buy', $options: 'i' } },
      { priority: { $gte: 2, $lt: 5 } },
      { tags: 'home' },
      { tags: { $all: ['a', 'b'], $size: 2 } },
      { subtasks: { $elemMatch: { done: false } } },
      { 'assignee.name': 'Ada', 'assignee.age': { $gt: 30 } },
      { $or: [{ done: true }, { priority: { $in: [1, 2] } }] },
      { createdAt: { $gte: '2025-01-01' }, owner: null, id: { $in: ['a'] } },
      { priority: { $not: { $gt: 3 } } },
      { $text: { $search: 'milk' } },
    ];
    void ok;
    // @ts-expect-error unknown field (typo)
    const typo: Filter<Todo> = { titel: 'x' };
    // @ts-expect-error $regex is for strings
    const regexOnNumber: Filter<Todo> = { priority: { $regex: '1' } };
    // @ts-expect-error $gt on a boolean
    const gtOnBoolean: Filter<Todo> = { done: { $gt: true } };
    // @ts-expect-error value of the wrong type
    const wrongValue: Filter<Todo> = { done: 'yes' };
    // @ts-expect-error $size is for arrays
    const sizeOnString: Filter<Todo> = { title: { $size: 1 } };
    // @ts-expect-error unknown nested field
    const nestedTypo: Filter<Todo> = { 'assignee.nmae': 'Ada' };
    // @ts-expect-error unknown operator
    const where: Filter<Todo> = { $where: 'sleep(1)' };
    void [typo, regexOnNumber, gtOnBoolean, wrongValue, sizeOnString, nestedTypo, where];
    // @ts-expect-error sort by an unknown field
    void todos.find({ sort: '-titel' });
    void todos.find({ filter: { done: false }, sort: ['-createdAt', 'title'], limit: 10 });
  });

  it('update operators are typed by field', () => {
    const ok: UpdateInput<Todo>[] = [
      { done: true, $inc: { priority: 1 } },
      { $push: { tags: 'x' } },
      { $addToSet: { tags: { $each: ['a', 'b'] } } },
      { $pull: { tags: { $in: ['a'] } } },
      { $unset: ['due', 'priority'] },
    ];
    void ok;
    // @ts-expect-error $inc on a string field
    const incString: UpdateInput<Todo> = { $inc: { title: 1 } };
    // @ts-expect-error $push on a non-array
    const pushScalar: UpdateInput<Todo> = { $push: { title: 'x' } };
    // @ts-expect-error element of the wrong type
    const pushWrong: UpdateInput<Todo> = { $push: { tags: 1 } };
    // @ts-expect-error a required field cannot be unset
    const unsetRequired: UpdateInput<Todo> = { $unset: ['title'] };
    void [incString, pushScalar, pushWrong, unsetRequired];
  });

  it('collections declared in Collections are typed by name', () => {
    const notes = hearth.collection('notes');
    expectTypeOf(notes).toEqualTypeOf<CollectionRef<{ text: string; pinned: boolean }, 'pinned'>>();
    expectTypeOf(notes.create).toBeCallableWith({ text: 'hi' });
    // @ts-expect-error unknown field of a declared collection
    void notes.find({ filter: { txt: 'x' } });
  });

  it('iterate yields typed documents; untyped collections take any filter', async () => {
    expectTypeOf(todos.iterate()).toEqualTypeOf<AsyncGenerator<Doc<Todo>, void, undefined>>();
    const loose = hearth.collection('anything');
    expectTypeOf(loose.find).toBeCallableWith({ filter: { whatever: { $gt: 1 } } });
  });

  it('errors carry typed codes and reasons', () => {
    expectTypeOf<HearthError['code']>().toEqualTypeOf<
      | 'invalid_request'
      | 'validation_failed'
      | 'invalid_api_key'
      | 'unauthorized'
      | 'forbidden'
      | 'not_found'
      | 'conflict'
      | 'payload_too_large'
      | 'unsupported_media_type'
      | 'range_not_satisfiable'
      | 'rate_limited'
      | 'internal'
      | 'unavailable'
      | 'network'
      | 'aborted'
    >();
    expectTypeOf<ErrorReason<'conflict'>>().toExtend<string>();
    expectTypeOf<'version'>().toExtend<ErrorReason<'conflict'>>();
    const e = new HearthError(409, 'conflict', 'Version clash.', { reason: 'version' });
    // @ts-expect-error not a reason of conflict
    void e.is('conflict', 'signup_disabled');
    expectTypeOf(e.requestId).toEqualTypeOf<string | null>();
  });
});
