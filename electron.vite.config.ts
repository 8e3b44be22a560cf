import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

/** An absolute path from the repository root, so the build does not depend on the cwd. */
const fromRoot = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  main: {
    // package.json has "type": "module", so electron-vite emits out/main/index.js as ESM.
    // Runtime dependencies (http-proxy-3, ws, yaml, zod) stay external and ship in
    // node_modules; only our own source is bundled.
    build: {
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: fromRoot('./src/main/index.ts') },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload runs in a restricted CommonJS context: it cannot load ES
      // modules, and require() only reaches 'electron' and a few built-ins. So bundle
      // everything and emit CJS with an explicit .cjs name (the package is "type": "module").
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: fromRoot('./src/preload/index.ts') },
        output: {
          format: 'cjs',
          entryFileNames: '[name].cjs',
        },
      },
    },
  },
  renderer: {
    root: fromRoot('./src/renderer'),
    build: {
      rolldownOptions: {
        input: { index: fromRoot('./src/renderer/index.html') },
      },
    },
    plugins: [vue()],
  },
});
