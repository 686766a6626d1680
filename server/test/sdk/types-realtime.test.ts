import {
  createClient,
  type Cached,
  type Channel,
  type ChangeEvent,
  type Doc,
  type Installation,
  type Member,
  type Page,
  type SubscriptionEvent,
  type Unsubscribe,
  createOfflineQueue,
  type AuthUser,
  type ErrorCode,
} from '@hearth/sdk';
import { describe, expectTypeOf, it } from 'vitest';

/**
 * The generics of realtime, channels, push and cached reads, checked by the compiler (the server
 * typecheck compiles this file). Calls that must NOT compile carry `@ts-expect-error`; they sit
 * in functions that never run (no socket is opened here).
 */
interface Todo {
  title: string;
  done: boolean;
  priority?: number;
}
interface Chat {
  text: string;
  at: number;
}

const hearth = createClient({ url: 'http://localhost:8080', app: 'app', key: 'pk_x' });
const todos = hearth.collection<Todo, 'done'>('todos');

describe('SDK realtime types', () => {
  it('subscribe takes a typed filter or {id}, and hands typed events', () => {
    expectTypeOf(todos.subscribe).toBeCallableWith({ done: false }, () => {});
    expectTypeOf(todos.subscribe).toBeCallableWith({ id: 'abc' }, () => {}, { since: '2026-12-01T00:00:00Z' });
    expectTypeOf(todos.subscribe).toBeCallableWith({ priority: { $gte: 2 } }, () => {}, { since: 0 });
    expectTypeOf<ReturnType<typeof todos.subscribe>>().toEqualTypeOf<Promise<Unsubscribe>>();
    expectTypeOf<Parameters<Parameters<typeof todos.subscribe>[1]>[0]>().toEqualTypeOf<SubscriptionEvent<Todo>>();
    const neverRun = async () => {
      // @ts-expect-error unknown field in the filter
      await todos.subscribe({ titel: 'x' }, () => {});
      // @ts-expect-error operator that does not fit the field's type
      await todos.subscribe({ done: { $gt: 1 } }, () => {});
      // @ts-expect-error since is a time, not a boolean
      await todos.subscribe({}, () => {}, { since: true });
      await todos.subscribe({}, (e) => {
        if (e.type === 'create' || e.type === 'update' || e.type === 'enter') {
          expectTypeOf(e.document).toEqualTypeOf<Doc<Todo>>();
          expectTypeOf(e.at).toEqualTypeOf<string>();
        } else if (e.type === 'delete' || e.type === 'leave') {
          expectTypeOf(e.document.id).toEqualTypeOf<string>();
          // @ts-expect-error a leave may carry only {id}: title may be missing
          expectTypeOf(e.document.title).toEqualTypeOf<string>();
        } else if (e.type === 'refetch') {
          expectTypeOf(e.reason).toEqualTypeOf<'replay_too_old'>();
        } else {
          expectTypeOf(e.error.code).toExtend<ErrorCode | 'network' | 'aborted'>();
        }
        // @ts-expect-error no such event type
        if (e.type === 'created') return;
      });
    };
    void neverRun;
    expectTypeOf<ChangeEvent<Todo>['type']>().toEqualTypeOf<'create' | 'update' | 'enter' | 'delete' | 'leave'>();
  });

  it('channels: the message type flows from channel<M>() to publish and listeners', () => {
    const room = hearth.channel<Chat>('room:1');
    expectTypeOf(room).toEqualTypeOf<Channel<Chat>>();
    expectTypeOf(room.publish).toBeCallableWith({ text: 'hi', at: 1 });
    expectTypeOf(room.join).returns.toEqualTypeOf<Promise<Member[]>>();
    const neverRun = async () => {
      // @ts-expect-error the message must be a Chat
      await room.publish({ text: 1 });
      // @ts-expect-error no such event
      room.on('typing', () => {});
      room.on('message', (m, from) => {
        expectTypeOf(m).toEqualTypeOf<Chat>();
        expectTypeOf(from.id).toEqualTypeOf<string | null>();
      });
      room.on('presence', (ev, members) => {
        expectTypeOf(ev.type).toEqualTypeOf<'joined' | 'left'>();
        expectTypeOf(members).toEqualTypeOf<Member[]>();
      });
    };
    void neverRun;
    expectTypeOf(hearth.channel('any').publish).parameter(0).toEqualTypeOf<unknown>();
  });

  it('push: platform-checked registrations, generated installation type', () => {
    expectTypeOf(hearth.push.registerToken).toBeCallableWith({ platform: 'ios', token: 'ab', channels: ['news'] });
    expectTypeOf(hearth.push.registerToken).returns.toEqualTypeOf<Promise<Installation>>();
    expectTypeOf<Installation['platform']>().toEqualTypeOf<'ios' | 'android' | 'web'>();
    const neverRun = async () => {
      // @ts-expect-error web goes through register({serviceWorkerRegistration})
      await hearth.push.registerToken({ platform: 'web', token: 'x' });
      // @ts-expect-error a badge is a number
      await hearth.push.update({ badge: 'one' });
      // @ts-expect-error unknown installation field
      await hearth.push.update({ chanels: [] });
    };
    void neverRun;
  });

  it('cached reads are typed like the collection, with the stale flag', () => {
    const q = createOfflineQueue(hearth, { cache: true }).collection<Todo, 'done'>('todos');
    expectTypeOf(q.get).returns.toEqualTypeOf<Promise<Cached<Doc<Todo>>>>();
    expectTypeOf(q.find).returns.toEqualTypeOf<Promise<Cached<Page<Todo>>>>();
    const neverRun = async () => {
      // @ts-expect-error cached finds take the typed filter too
      await q.find({ filter: { titel: 'x' } });
    };
    void neverRun;
    expectTypeOf<Cached<Todo>['stale']>().toEqualTypeOf<boolean>();
  });

  it('the generated shared types are what the SDK returns', () => {
    expectTypeOf(hearth.auth.user).toEqualTypeOf<AuthUser | null>();
    expectTypeOf<AuthUser['mfa']>().toEqualTypeOf<{ totp: boolean }>();
  });
});
