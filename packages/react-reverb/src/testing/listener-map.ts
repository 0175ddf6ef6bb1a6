/** Listeners keyed by name, each returning its own unbind. */
export class ListenerMap<L> {
  private readonly map = new Map<string, Set<L>>();
  private readonly added = new Map<string, number>();
  add(key: string, listener: L): () => void {
    this.added.set(key, (this.added.get(key) ?? 0) + 1);
    const entry = this.map.get(key) ?? new Set<L>();
    this.map.set(key, entry);
    // Wrap so the same function bound twice is two bindings, each with its own unbind.
    const box = { listener };
    const wrapped = ((...args: unknown[]) => (box.listener as (...a: unknown[]) => void)(...args)) as L;
    entry.add(wrapped);
    return () => {
      entry.delete(wrapped);
    };
  }
  get(key: string): L[] {
    return [...(this.map.get(key) ?? [])];
  }
  /** How many times anything was bound under `key`, unbound or not. */
  addedCount(key: string): number {
    return this.added.get(key) ?? 0;
  }
  count(key?: string): number {
    if (key !== undefined) return this.map.get(key)?.size ?? 0;
    let n = 0;
    for (const set of this.map.values()) n += set.size;
    return n;
  }
}
