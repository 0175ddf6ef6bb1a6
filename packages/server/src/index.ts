/** `@react-reverb/server`: the Pusher Channels protocol 7 server, for in-process use and the `reverb` CLI. */
export { broadcastStats, frameOnceSupported, isFrameOnce, setFrameOnce } from './broadcast';
export { AppRegistry, Channel, type RegistryStats } from './channels';
export {
  type AppConfig,
  type AppLimits,
  type ClientEventsFrom,
  defineConfig,
  type LoadConfigOptions,
  loadConfig,
  type RedisConfig,
  type ServerConfig,
} from './config';
export { ConfigError, HttpError } from './errors';
export { type ReverbEventMap, type ReverbEventName, ReverbEvents } from './hooks';
export { createLogger, type ReverbLogger } from './logger';
export { Metrics } from './metrics';
export { Operations, type OperationsOptions } from './operations';
export {
  type DashboardConfig,
  type MetricsConfig,
  type OperationsConfig,
  parseOperationsConfig,
} from './operations-config';
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
  redisConnectionOptions,
} from './scaling/redis-adapter';
export { type CreateServerOptions, createReverbServer, type ReverbServer, type ServerStats } from './server';
export { restartNodes } from './shutdown';
export { parseWebhooks, WebhookDispatcher, type WebhookTarget } from './webhooks';
