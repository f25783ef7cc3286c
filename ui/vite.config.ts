import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The build is embedded in the almanac binary (crates/server/src/ui.rs):
// hashed files under assets/, no source maps, one CSS file.
export default defineConfig({
  plugins: [preact()],
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    emptyOutDir: true,
    target: 'es2020',
  },
  server: {
    proxy: {
      '^/(query|write|ping|health|metrics|api)': 'http://127.0.0.1:8086',
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
