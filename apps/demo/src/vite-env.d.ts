/// <reference types="vite/client" />

/** Laravel's names (see `ViteReverbEnv` in realtime.ts), typed for `import.meta.env`. */
interface ImportMetaEnv {
  readonly VITE_REVERB_APP_KEY?: string;
  readonly VITE_REVERB_HOST?: string;
  readonly VITE_REVERB_PORT?: string;
  readonly VITE_REVERB_SCHEME?: string;
}
