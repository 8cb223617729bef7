import { defineConfig } from 'vite';

// `npm run dev` proxies the API to a `flix serve` on :8000 (FLIX_API overrides it).
const api = process.env.FLIX_API ?? 'http://127.0.0.1:8000';

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
