import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// VITE_HEARTH_URL, VITE_HEARTH_APP and VITE_HEARTH_KEY come from .env.local (see .env.example).
export default defineConfig({ plugins: [react()], server: { host: '127.0.0.1', port: 5173 } });
