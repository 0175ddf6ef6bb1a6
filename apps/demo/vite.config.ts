import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The backend (`server/`) owns `/api` and `/broadcasting`; the dev server proxies them so cookies stay same-origin. */
const backend = `http://127.0.0.1:${process.env.DEMO_BACKEND_PORT ?? 3001}`;

export default defineConfig({
  plugins: [react()],
  server: {
    host: '127.0.0.1',
    port: Number(process.env.DEMO_VITE_PORT ?? 5173),
    strictPort: false,
    proxy: { '/api': backend, '/broadcasting': backend, '/up': backend },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      input: {
        app: resolve(import.meta.dirname, 'index.html'),
        previews: resolve(import.meta.dirname, 'previews.html'),
      },
    },
  },
});
