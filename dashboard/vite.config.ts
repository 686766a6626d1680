import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/dashboard/',
  plugins: [react()],
  server: {
    proxy: {
      '/v1': 'http://localhost:8080',
      '/readyz': 'http://localhost:8080',
      '/openapi.json': 'http://localhost:8080',
      '/metrics': 'http://localhost:8080',
      '/socket.io': { target: 'http://localhost:8080', ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Every page is its own chunk; the API explorer (Scalar, ~1.2 MB) loads only on /dashboard/api.
    chunkSizeWarningLimit: 1300,
  },
});
