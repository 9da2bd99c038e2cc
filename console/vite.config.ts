// The console's build: every asset bundled into dist/console (the service serves it; no CDN at run time).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: here('../dist/console'),
    emptyOutDir: true,
    // No inline data: URLs for scripts, so the page works under the service's strict Content-Security-Policy.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
});
