// Sizes users ship (min+gzip), checked by `pnpm test`. Core is measured from its built dist, as users
// install it: this package's tsconfig maps `@react-reverb/core` to core's sources for type checking, and
// esbuild (size-limit's bundler) would follow that mapping; the base config has no path mappings.
const fromCoreDist = (config) => ({ ...config, tsconfig: require.resolve('../../tsconfig.base.json') });
const react = ['react', 'react-dom', 'react/jsx-runtime'];

module.exports = [
  {
    name: 'react-reverb + @react-reverb/core without encryption (React external)',
    path: 'dist/index.js',
    import: '*',
    ignore: [...react, 'tweetnacl'],
    gzip: true,
    limit: '9.2 KB',
    modifyEsbuildConfig: fromCoreDist,
  },
  {
    name: 'react-reverb alone (core and React external)',
    path: 'dist/index.js',
    import: '*',
    ignore: [...react, '@react-reverb/core', '@react-reverb/core/protocol'],
    gzip: true,
    limit: '4 KB',
    modifyEsbuildConfig: fromCoreDist,
  },
  {
    name: 'react-reverb hooks only: provider, connection, channel, event, presence (tree-shaken, with core)',
    path: 'dist/index.js',
    import: '{ ReverbProvider, useConnectionState, useChannel, useEvent, usePresence }',
    ignore: [...react, 'tweetnacl'],
    gzip: true,
    limit: '8 KB',
    modifyEsbuildConfig: fromCoreDist,
  },
  {
    name: 'every hook, the provider and helpers, without the toast UI (what @laravel/echo-react offers)',
    path: 'dist/index.js',
    import:
      '{ createReverbClient, AuthError, ClientEventError, ReverbError, formatEventName, createReverbHooks, ' +
      'ReverbProvider, ReverbContext, useReverb, useConnectionState, useSocketId, useChannel, useEvent, useListen, ' +
      'usePresence, useWhisper, useListenForWhisper, useUser, useUserEvent, useNotifications, notificationChannel, ' +
      'matchesNotificationType, normalizeNotificationType, BROADCAST_NOTIFICATION_EVENT }',
    ignore: [...react, 'tweetnacl'],
    gzip: true,
    limit: '8 KB',
    modifyEsbuildConfig: fromCoreDist,
  },
];
