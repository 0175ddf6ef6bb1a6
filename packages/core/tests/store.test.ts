import { describe, expect, it } from 'vitest';
import { createStore } from '../src/index';

describe('createStore (the external store behind every client store)', () => {
  const idle = { status: 'idle', count: 0 };

  it('keeps the snapshot reference until something changes, and the server snapshot idle', () => {
    const store = createStore(idle);
    let heard = 0;
    store.subscribe(() => heard++);
    store.update({ status: 'idle' });
    store.set(store.getSnapshot());
    expect(heard).toBe(0);
    expect(store.getSnapshot()).toBe(idle);

    store.update({ count: 1 });
    expect(heard).toBe(1);
    expect(store.getSnapshot()).toEqual({ status: 'idle', count: 1 });
    expect(idle.count).toBe(0);

    const next = { status: 'busy', count: 2 };
    store.set(next);
    expect(heard).toBe(2);
    expect(store.getSnapshot()).toBe(next);
    expect(store.getServerSnapshot()).toBe(idle);
  });

  it('stops telling a listener once it unsubscribed (a listener may unsubscribe another)', () => {
    const store = createStore(idle);
    const calls: string[] = [];
    const unsubscribeB = store.subscribe(() => calls.push('b'));
    const unsubscribeA = store.subscribe(() => {
      calls.push('a');
      unsubscribeB();
    });
    store.update({ count: 1 });
    store.update({ count: 2 });
    unsubscribeA();
    store.update({ count: 3 });
    expect(calls).toEqual(['b', 'a', 'a']);
  });
});
