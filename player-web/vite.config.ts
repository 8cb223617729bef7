import { defineConfig } from 'vite';

// `npm run dev` serves the app with hot reload and proxies the API to `flix serve` on :8000.
const api = 'http://127.0.0.1:8000';

export default defineConfig({
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: true,
    // shaka-player is ~600 kB minified and only the player screen needs it: it is split into
    // its own chunk, loaded on demand, so it does not count against the first paint.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      '/graphql': api,
      '/media': api,
    },
  },
});
