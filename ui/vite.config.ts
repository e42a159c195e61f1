// Builds the admin UI into ui/dist, which havend serves. `npm run dev:ui` runs Vite's dev
// server with the API and the live WebSocket proxied to a local havend (HAVEN_DEV_TARGET,
// default http://127.0.0.1:8420).

import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const target = process.env.HAVEN_DEV_TARGET ?? 'http://127.0.0.1:8420';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [svelte()],
  resolve: {
    // The UI imports the daemon's API types from core (never retyped); see tsconfig paths.
    alias: { $core: fileURLToPath(new URL('../core/src', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // a small UI: one chunk is simplest to cache and serve
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/api': {
        target,
        ws: true,
        changeOrigin: true,
        // havend ignores a session cookie from a foreign Origin; the proxy speaks for the dev page
        configure: (proxy) => {
          proxy.on('proxyReq', (req) => req.setHeader('origin', target));
          proxy.on('proxyReqWs', (req) => req.setHeader('origin', target));
        },
      },
    },
  },
});
