/**
 * Every environment name that Laravel Reverb 1.10's `config/reverb.php` reads (v1.10.2), with the
 * default it writes there (null: none). The settings table must hold each one with that default
 * (tests/settings.test.ts), and a `.env` written with all of them must start the real server without a
 * warning (tests/interop-app-settings.test.ts).
 */
export const REVERB_1_10_ENV: Readonly<Record<string, string | null>> = {
  REVERB_SERVER: 'reverb',
  REVERB_SERVER_HOST: '0.0.0.0',
  REVERB_SERVER_PORT: '8080',
  REVERB_SERVER_PATH: '',
  REVERB_HOST: null,
  REVERB_MAX_REQUEST_SIZE: '10000',
  REVERB_SCALING_ENABLED: 'false',
  REVERB_SCALING_CHANNEL: 'reverb',
  REDIS_URL: null,
  REDIS_HOST: '127.0.0.1',
  REDIS_PORT: '6379',
  REDIS_USERNAME: null,
  REDIS_PASSWORD: null,
  REDIS_DB: '0',
  REDIS_TIMEOUT: '60',
  REVERB_PULSE_INGEST_INTERVAL: '15',
  REVERB_TELESCOPE_INGEST_INTERVAL: '15',
  REVERB_APP_KEY: null,
  REVERB_APP_SECRET: null,
  REVERB_APP_ID: null,
  REVERB_PORT: '443',
  REVERB_SCHEME: 'https',
  REVERB_APP_PING_INTERVAL: '60',
  REVERB_APP_ACTIVITY_TIMEOUT: '30',
  REVERB_APP_MAX_CONNECTIONS: null,
  REVERB_APP_MAX_MESSAGE_SIZE: '10000',
  REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM: 'members',
  REVERB_APP_RATE_LIMITING_ENABLED: 'false',
  REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS: '60',
  REVERB_APP_RATE_LIMIT_DECAY_SECONDS: '60',
  REVERB_APP_RATE_LIMIT_TERMINATE: 'false',
};
