import { defineConfig } from 'vite';

// Built by scripts/install into dist/, which flix serves at /graphiql-assets/ (server/app.py)
// and whose index.html is the page GET /graphql answers a browser with (server/graphql_view.py).
export default defineConfig({
  base: '/graphiql-assets/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    // Monaco (GraphiQL's editor) and its language workers are a few MB: a developer tool, loaded
    // once and cached, so the size warning is not useful here.
    chunkSizeWarningLimit: 6000,
    rolldownOptions: {
      // Headless UI's "use client" directives mean nothing outside React Server Components.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  worker: { format: 'es' },
});
