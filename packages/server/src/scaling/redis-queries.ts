/**
 * Cluster questions (HTTP API channel lists and counts) over Redis pub/sub: the asker publishes
 * `{node, id, query}` on the requests channel, every other node answers on the asker's own responses
 * channel, and the asker waits for every live node, at most `queryTimeoutMs` (1 s). It then answers
 * with what arrived and logs the missing nodes. Subscription counts add up (query-merge.ts); presence
 * user counts, member lists and cache entries are read from the shared state instead.
 */
import { randomUUID } from 'node:crypto';
import type { AdapterQuery, AdapterQueryResults, ChannelSnapshot, LocalNode, QueryOf } from './adapter';
import { type channelNames, decodeRequestEnvelope, decodeResponseEnvelope } from './cluster-messages';
import { mergeChannel, mergeChannels } from './query-merge';
import type { RedisClusterState } from './redis-cluster-state';
import type { AdapterLogger, RedisLink } from './redis-connection';

export const DEFAULT_QUERY_TIMEOUT_MS = 1_000;

interface PendingQuery {
  readonly waiting: Set<string>;
  readonly answers: unknown[];
  readonly finish: () => void;
}

export interface RedisQueriesOptions {
  readonly nodeId: string;
  readonly node: LocalNode;
  readonly link: RedisLink;
  readonly channels: ReturnType<typeof channelNames>;
  readonly state: RedisClusterState;
  readonly logger: AdapterLogger;
  /** The live nodes other than this one, as of the last heartbeat. */
  readonly peers: () => ReadonlySet<string>;
  readonly queryTimeoutMs: number;
}

export class RedisQueries {
  /** Questions this node asked that still wait for answers, by request id. */
  private readonly pending = new Map<string, PendingQuery>();
  /** How many questions were answered without every node (for stats). */
  timeouts = 0;

  constructor(private readonly options: RedisQueriesOptions) {}

  async query<T extends AdapterQuery['type']>(query: QueryOf<T>): Promise<AdapterQueryResults[T]> {
    return (await this.answerAny(query as AdapterQuery)) as AdapterQueryResults[T];
  }

  private async answerAny(query: AdapterQuery): Promise<unknown> {
    const { state } = this.options;
    switch (query.type) {
      case 'users':
        return (await state.presenceMembers(query.appId, query.channel)).ids;
      case 'cache': {
        const cached = await state.cachedEvent(query.appId, query.channel);
        return cached ? { data: cached.data, ttl: cached.ttl } : null;
      }
      case 'channel': {
        const answers = await this.ask(query);
        const merged = mergeChannel(answers) ?? { subscriptionCount: 0 };
        if (merged.userCount === undefined) return merged;
        const counts = await state.memberCounts(query.appId, [query.channel]);
        return { ...merged, userCount: counts.get(query.channel) ?? merged.userCount };
      }
      case 'channels': {
        const merged = mergeChannels(await this.ask(query));
        const presence = Object.keys(merged).filter((name) => merged[name]?.userCount !== undefined);
        if (presence.length === 0) return merged;
        const counts = await state.memberCounts(query.appId, presence);
        const result: Record<string, ChannelSnapshot> = {};
        for (const [name, snapshot] of Object.entries(merged)) {
          const userCount = counts.get(name);
          result[name] = userCount === undefined ? snapshot : { ...snapshot, userCount };
        }
        return result;
      }
    }
  }

  /** This node's answer plus every live peer's, waiting at most `queryTimeoutMs`. */
  private async ask(query: AdapterQuery): Promise<unknown[]> {
    const { node, link, logger, nodeId, channels } = this.options;
    const answers: unknown[] = [];
    try {
      answers.push(node.answer(query));
    } catch (error) {
      logger.debug({ err: error, appId: query.appId }, 'no local answer');
    }
    const peers = [...this.options.peers()];
    if (peers.length === 0 || !link.healthy) return answers;
    const id = randomUUID();
    const remote = await new Promise<unknown[]>((resolve) => {
      const collected: unknown[] = [];
      const waiting = new Set(peers);
      const timer = setTimeout(() => {
        this.timeouts++;
        logger.warn(
          { query: query.type, appId: query.appId, missing: [...waiting] },
          'cluster query timed out; answering with the nodes that replied',
        );
        finish();
      }, this.options.queryTimeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(collected);
      };
      this.pending.set(id, { waiting, answers: collected, finish });
      link.pub
        .publish(channels.requests, JSON.stringify({ node: nodeId, id, query }))
        .catch((error: unknown) => {
          link.fail('query publish', error);
          finish();
        });
    });
    return answers.concat(remote);
  }

  /** Another node's question: answer it from this node's sockets. */
  onRequest(text: string): void {
    const { node, link, logger, nodeId, channels } = this.options;
    const request = decodeRequestEnvelope(text);
    if (!request) {
      logger.warn('dropped a malformed cluster query');
      return;
    }
    if (request.node === nodeId) return;
    let result: unknown = null;
    try {
      result = node.answer(request.query);
    } catch {
      // An app this node does not serve: answer null so the asker need not wait for us.
    }
    link.pub
      .publish(channels.responses(request.node), JSON.stringify({ node: nodeId, id: request.id, result }))
      .catch((error: unknown) => link.fail('query answer', error));
  }

  /** Another node's answer to one of this node's questions. */
  onResponse(text: string): void {
    const response = decodeResponseEnvelope(text);
    if (!response) return;
    const pending = this.pending.get(response.id);
    if (!pending) return; // late: the asker already answered
    if (response.result !== null) pending.answers.push(response.result);
    pending.waiting.delete(response.node);
    if (pending.waiting.size === 0) pending.finish();
  }

  /** Answers every waiting question with what has arrived (Redis lost, or the node is closing). */
  finishAll(): void {
    for (const pending of [...this.pending.values()]) pending.finish();
  }
}
