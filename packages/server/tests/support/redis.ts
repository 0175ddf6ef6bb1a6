/** Redis settings for servers and adapters under test. */
import type { RedisConfig, ServerConfig } from '../../src/config/config';

/** The server's Redis settings for a `redis://127.0.0.1:PORT` URL (a startRedis() handle, a closed port). */
export function redisConfig(redis: { readonly url: string }): RedisConfig {
  return {
    url: redis.url,
    host: '127.0.0.1',
    port: Number(new URL(redis.url).port || 6379),
    username: undefined,
    password: undefined,
    db: 0,
  };
}

/** The server's `scaling` settings: scale out over `redis`, on the pub/sub `channel`. */
export function scalingOver(redis: { readonly url: string }, channel: string): ServerConfig['scaling'] {
  return { enabled: true, channel, redis: redisConfig(redis) };
}
