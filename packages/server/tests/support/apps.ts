/**
 * Apps that several server test files configure. The demo app (`DEMO_APP`, and `DEMO_APP_CONFIG` with
 * every optional feature on) lives in @react-reverb/test-helpers, shared with the other packages.
 */

/** An app whose quota of two connections counts every node of a cluster. */
export const SMALL_APP = {
  id: '1004',
  key: 'small-key',
  secret: 'small-secret',
  max_connections: 2,
} as const;
