/** defineOwn: own, enumerable properties whatever the key, without invoking any setter. */
import { defineOwn } from '../../core/values';

describe('defineOwn', () => {
  test('a new key becomes an own, enumerable, writable property', () => {
    const target: Record<string, unknown> = {};
    defineOwn(target, 'Content-Type', 'application/json');
    expect(Object.getOwnPropertyDescriptor(target, 'Content-Type')).toEqual({
      value: 'application/json',
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });

  test('__proto__ is an ordinary key: the prototype stays', () => {
    const target: Record<string, unknown> = {};
    defineOwn(target, '__proto__', { polluted: true });
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(Object.keys(target)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('inherited names (constructor, toString) become own properties', () => {
    const target: Record<string, unknown> = {};
    defineOwn(target, 'constructor', 'x');
    defineOwn(target, 'toString', 'y');
    expect(Object.keys(target)).toEqual(['constructor', 'toString']);
    expect(Object.prototype.toString).toBeInstanceOf(Function);
  });

  test('an existing own key is replaced, and a setter on the object is not called', () => {
    let called = false;
    const target = Object.defineProperty({} as Record<string, unknown>, 'x', {
      set: () => (called = true),
      configurable: true,
      enumerable: true,
    });
    defineOwn(target, 'x', 1);
    expect(called).toBe(false);
    expect(target.x).toBe(1);
    const plain: Record<string, unknown> = { a: 1 };
    defineOwn(plain, 'a', 2);
    expect(plain).toEqual({ a: 2 });
  });

  test('a key inherited through a prototype with a setter is defined, not assigned', () => {
    let called = false;
    const proto = Object.defineProperty({}, 'hook', { set: () => (called = true) });
    const target = Object.create(proto) as Record<string, unknown>;
    defineOwn(target, 'hook', 'v');
    expect(called).toBe(false);
    expect(Object.getOwnPropertyDescriptor(target, 'hook')?.value).toBe('v');
  });
});
