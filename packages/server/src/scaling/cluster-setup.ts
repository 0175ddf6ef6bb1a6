/**
 * How a server joins its cluster: the adapter its settings ask for (one node, or a cluster over Redis
 * when REVERB_SCALING_ENABLED), and the bounded wait for the other nodes before it takes clients.
 */
import type { ServerConfig } from '../config/config';
import type { ReverbEvents } from '../shared/hooks';
import type { ReverbLogger } from '../shared/logger';
import { type Adapter, type AdapterFactory, LocalAdapter } from './adapter';
import { MachineAdapter, type WorkerLink } from './machine-adapter';
import { Topic } from './machine-hub';
import { RedisAdapter } from './redis-adapter';
import { REDIS_CONNECT_TIMEOUT_MS } from './redis-connection';

export interface ClusterHost {
  readonly serverId: string;
  readonly logger: ReverbLogger;
  readonly events: ReverbEvents;
}

/**
 * One node; a cluster over Redis when REVERB_SCALING_ENABLED (issue 4), where each worker of
 * `--workers N` is a node of its own (packages/server/docs/scaling.md, "Workers and Redis"); or,
 * without Redis, one worker of the machine, sharing through the primary (issue 21).
 */
export function adapterFromConfig(
  config: Pick<ServerConfig, 'scaling' | 'apps' | 'history'>,
  host: ClusterHost,
  worker?: WorkerLink,
): AdapterFactory {
  const { scaling, apps } = config;
  if (!scaling.enabled && worker) {
    return (node) =>
      new MachineAdapter(node, worker.peer, {
        // A dead worker's members left through the primary: webhooks go out from here.
        onPurged: (member) => host.events.emit('member_removed', member),
        onApplyError: (error, message) =>
          host.logger.error({ err: error, type: message.type }, 'applying a machine message failed'),
      });
  }
  if (!scaling.enabled) {
    return (node) => new LocalAdapter(node, { memoryBudgetBytes: config.history.memoryBudgetBytes });
  }
  const { url, host: redisHost, port, db } = scaling.redis;
  // Where, never credentials: a URL is logged without its user info.
  const where = url === undefined ? `${redisHost}:${port}/${db}` : redactUrl(url);
  host.logger.info({ redis: where, channel: scaling.channel }, 'scaling out over Redis');
  return (node) => {
    const adapter = new RedisAdapter(node, {
      nodeId: host.serverId,
      redis: scaling.redis,
      prefix: scaling.channel,
      apps: apps.map((app) => app.id),
      logger: host.logger,
    });
    // A dead node's members leave through the node that purged it: webhooks go out from here.
    adapter.on('member_purged', (removed) => host.events.emit('member_removed', removed));
    // A worker of `--workers N`: the primary names the machine's dead workers, purged at once.
    worker?.peer.listen(
      Topic.nodeGone,
      (body) => void adapter.purgeDeadNode((body as { nodeId: string }).nodeId),
    );
    return adapter;
  };
}

/**
 * A cluster node takes clients once it reaches Redis: a client that connected earlier would miss the
 * other nodes' events, and the node would log Redis failures for it. Redis may be down, though, so the
 * wait is bounded; after it the node serves its own clients until Redis is back.
 */
export async function waitForCluster(adapter: Adapter, logger: ReverbLogger): Promise<void> {
  const ready = adapter.ready?.();
  if (ready === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  const reached = await Promise.race([
    ready.then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), REDIS_CONNECT_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!reached) {
    logger.warn(
      `Redis not reachable within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s: taking clients anyway, served by this node alone until it is`,
    );
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable REDIS_URL)';
  }
}
