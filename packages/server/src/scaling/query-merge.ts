/**
 * Merges the answers of several nodes to one question. Subscription counts add up (a socket lives on
 * one node); user counts of presence channels cannot be added (a user may be on two nodes), so the
 * caller replaces them with the cluster-wide member count. Answers from other nodes are `unknown`
 * until checked here; a malformed one is skipped.
 */
import { isRecord } from '../shared/is-record';
import type { ChannelSnapshot } from './adapter';

function asSnapshot(value: unknown): ChannelSnapshot | undefined {
  if (!isRecord(value) || typeof value.subscriptionCount !== 'number') return undefined;
  return typeof value.userCount === 'number'
    ? { subscriptionCount: value.subscriptionCount, userCount: value.userCount }
    : { subscriptionCount: value.subscriptionCount };
}

function add(a: ChannelSnapshot | undefined, b: ChannelSnapshot): ChannelSnapshot {
  if (!a) return b;
  const subscriptionCount = a.subscriptionCount + b.subscriptionCount;
  if (a.userCount === undefined && b.userCount === undefined) return { subscriptionCount };
  // A lower bound until the caller puts in the exact cluster-wide count.
  return { subscriptionCount, userCount: Math.max(a.userCount ?? 0, b.userCount ?? 0) };
}

export function mergeChannel(answers: readonly unknown[]): ChannelSnapshot | undefined {
  let merged: ChannelSnapshot | undefined;
  for (const answer of answers) {
    const snapshot = asSnapshot(answer);
    if (snapshot) merged = add(merged, snapshot);
  }
  return merged;
}

export function mergeChannels(answers: readonly unknown[]): Record<string, ChannelSnapshot> {
  const merged: Record<string, ChannelSnapshot> = {};
  for (const answer of answers) {
    if (!isRecord(answer)) continue;
    for (const [name, value] of Object.entries(answer)) {
      const snapshot = asSnapshot(value);
      if (snapshot) merged[name] = add(merged[name], snapshot);
    }
  }
  return merged;
}
