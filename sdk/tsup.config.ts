import { defineConfig } from 'tsup';

// One platform-neutral build, twice: ESM (dist/index.js) and CJS (dist/index.cjs), each with its
// own declarations (index.d.ts, index.d.cts) so both resolution modes get the right types.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  platform: 'neutral',
  target: 'es2022',
  // tsup's declaration build sets baseUrl, which TypeScript 6 deprecates.
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  sourcemap: true,
  clean: true,
  treeshake: true,
  splitting: false,
  outDir: 'dist',
});
