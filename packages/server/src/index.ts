/** `@react-reverb/server`: the Pusher Channels protocol 7 server, for in-process use and the `reverb` CLI. */

export { AppRegistry, Channel, type RegistryStats } from './channels/registry';
export {
  type AppConfig,
  type AppLimits,
  type ClientEventsFrom,
  defineConfig,
  type LoadConfigOptions,
  loadConfig,
  type RedisConfig,
  type ServerConfig,
} from './config/config';
export {
  type DashboardConfig,
  type MetricsConfig,
  type OperationsConfig,
  parseOperationsConfig,
} from './config/operations-config';
export { Metrics } from './operations/metrics';
export { Operations, type OperationsOptions } from './operations/operations';
export { restartNodes } from './operations/shutdown';
export { parseWebhooks, WebhookDispatcher, type WebhookTarget } from './operations/webhooks';
export {
  type Adapter,
  type AdapterFactory,
  type AdapterMessage,
  type AdapterQuery,
  type AdapterQueryResults,
  type CacheSnapshot,
  type ChannelSnapshot,
  LocalAdapter,
  type LocalNode,
} from './scaling/adapter';
export type {
  CachedEvent,
  ClusterState,
  JoinOutcome,
  LeaveOutcome,
  PresenceMembers,
} from './scaling/cluster-state';
export {
  type AdapterLogger,
  RedisAdapter,
  type RedisAdapterEventMap,
  type RedisAdapterOptions,
  type RedisAdapterStats,
} from './scaling/redis-adapter';
export { redisConnectionOptions } from './scaling/redis-connection';
export { type CreateServerOptions, createReverbServer, type ReverbServer, type ServerStats } from './server';
export { ConfigError, HttpError } from './shared/errors';
export { type ReverbEventMap, type ReverbEventName, ReverbEvents } from './shared/hooks';
export { createLogger, type ReverbLogger } from './shared/logger';
export { broadcastStats, frameOnceSupported, isFrameOnce, setFrameOnce } from './socket/broadcast';
