// Sizes users ship (min+gzip), checked by `pnpm test`. Core is measured from its built dist, as users
// install it: this package's tsconfig maps `@react-reverb/core` to core's sources for type checking, and
// esbuild (size-limit's bundler) would follow that mapping; the base config has no path mappings.
const fromCoreDist = (config) => ({ ...config, tsconfig: require.resolve('../../tsconfig.base.json') });
const react = ['react', 'react-dom', 'react/jsx-runtime'];
// react-reverb/echo reads `import.meta.env` (Vite's VITE_REVERB_*, as echo-react does); size-limit bundles
// as an IIFE, where esbuild warns that it is empty. It is, there: nothing to warn about.
const fromCoreDistWithImportMeta = (config) => ({
  ...fromCoreDist(config),
  logOverride: { ...config.logOverride, 'empty-import-meta': 'silent' },
});

module.exports = [
  {
    // The budget: everything `react-reverb` exports, with the core it pulls in.
    name: 'react-reverb + @react-reverb/core without encryption (React external)',
    path: 'dist/index.js',
    import: '*',
    ignore: [...react, 'tweetnacl'],
    gzip: true,
    limit: '8 KB',
    modifyEsbuildConfig: fromCoreDist,
  },
  {
    // What an app that also renders <NotificationToast> ships, held where it is so it cannot grow unseen.
    name: 'react-reverb + react-reverb/toast + core (React external)',
    // Named: size-limit declares `all` twice for two `*` imports.
    import: {
      'dist/index.js': '*',
      'dist/toast.js': '{ NotificationToast, createToastStore, defaultToastStore, toast, useToast }',
    },
    ignore: [...react, 'tweetnacl'],
    gzip: true,
    limit: '9.8 KB',
    modifyEsbuildConfig: fromCoreDist,
  },
  {
    name: 'react-reverb/toast with the hooks it shares with react-reverb (core and React external)',
    path: 'dist/toast.js',
    import: '*',
    ignore: [...react, 'tweetnacl', '@react-reverb/core', '@react-reverb/core/protocol'],
    gzip: true,
    limit: '3 KB',
    modifyEsbuildConfig: fromCoreDist,
  },
  {
    name: 'react-reverb alone (core and React external)',
    path: 'dist/index.js',
    import: '*',
    ignore: [...react, '@react-reverb/core', '@react-reverb/core/protocol'],
    gzip: true,
    limit: '2.5 KB',
    modifyEsbuildConfig: fromCoreDist,
  },
  {
    name: 'react-reverb hooks only: provider, connection, channel, event, presence (tree-shaken, with core)',
    path: 'dist/index.js',
    import: '{ ReverbProvider, useConnectionState, useChannel, useEvent, usePresence }',
    ignore: [...react, 'tweetnacl'],
    gzip: true,
    limit: '7 KB',
    modifyEsbuildConfig: fromCoreDist,
  },
  {
    // What an app that moves from @laravel/echo-react ships (echo-react with its pusher-js: 23.1 KB).
    name: 'react-reverb/echo (the @laravel/echo-react drop-in) + core (React external)',
    path: 'dist/echo.js',
    import: '*',
    ignore: [...react, 'tweetnacl'],
    gzip: true,
    limit: '9.2 KB',
    modifyEsbuildConfig: fromCoreDistWithImportMeta,
  },
  {
    name: 'react-reverb/echo with the hooks it shares with react-reverb (core and React external)',
    path: 'dist/echo.js',
    import: '*',
    ignore: [...react, '@react-reverb/core', '@react-reverb/core/protocol'],
    gzip: true,
    limit: '3.7 KB',
    modifyEsbuildConfig: fromCoreDistWithImportMeta,
  },
];
