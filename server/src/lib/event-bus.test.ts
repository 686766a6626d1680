import { describe, expect, it } from 'vitest';
import { EventBus, frozenCopy, type BusEvent } from './event-bus.js';

interface DocEvent extends BusEvent {
  type: 'documents.create' | 'documents.update';
  document: Record<string, unknown>;
}

describe('event bus', () => {
  it('delivers a frozen deep copy: neither the emitter nor a listener can change what others see', () => {
    const bus = new EventBus<DocEvent>();
    const seen: DocEvent[] = [];
    bus.on('documents.create', (e) => {
      expect(() => {
        (e.document.tags as string[]).push('x');
      }).toThrow(TypeError);
      expect(() => {
        (e.document.nested as Record<string, unknown>).a = 2;
      }).toThrow(TypeError);
      seen.push(e);
    });
    bus.on('*', (e) => seen.push(e));
    const document = { id: 'd1', tags: ['a'], nested: { a: 1, deeper: [{ b: true }] }, none: null };
    bus.emit({ type: 'documents.create', document });
    document.tags.push('after');
    document.nested.a = 99;
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]!.document).toEqual({ id: 'd1', tags: ['a'], nested: { a: 1, deeper: [{ b: true }] }, none: null });
    expect(Object.isFrozen((seen[0]!.document.nested as { deeper: object[] }).deeper[0])).toBe(true);
    expect(seen[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('a throwing listener is reported and the others still run', () => {
    const errors: unknown[] = [];
    const bus = new EventBus<DocEvent>((err) => errors.push(err));
    let ran = 0;
    bus.on('documents.update', () => {
      throw new Error('boom');
    });
    bus.on('documents.update', () => ran++);
    bus.emit({ type: 'documents.update', document: {} });
    expect(ran).toBe(1);
    expect(errors).toHaveLength(1);
  });
});

describe('frozenCopy', () => {
  it('copies a "__proto__" key as an own data property, not a prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = frozenCopy(input);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
    expect(JSON.stringify(copy)).toBe(JSON.stringify(input));
  });

  it('values other than plain objects and arrays keep structuredClone semantics', () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const copy = frozenCopy({ at, list: [new Map([['k', 1]])] });
    expect(copy.at).not.toBe(at);
    expect(copy.at).toBeInstanceOf(Date);
    expect(copy.at.getTime()).toBe(at.getTime());
    expect(copy.list[0]).toBeInstanceOf(Map);
    expect(copy.list[0]!.get('k')).toBe(1);
    expect(Object.isFrozen(copy.list)).toBe(true);
  });

  it('keeps primitives, undefined members and array holes as structuredClone does', () => {
    // eslint-disable-next-line no-sparse-arrays
    const input = { s: 'x', n: 1.5, b: false, u: undefined, arr: [1, , 3] };
    expect(frozenCopy(input)).toEqual(structuredClone(input));
    expect(Object.keys(frozenCopy(input))).toEqual(['s', 'n', 'b', 'u', 'arr']);
  });
});
