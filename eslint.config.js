import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import vueParser from 'vue-eslint-parser';

const nodeFiles = [
  'src/engine/**',
  'src/server/**',
  'src/main/**',
  'src/preload/**',
  'test/**',
  'bench/**',
  'scripts/**',
  'bin/**',
  '*.config.{js,ts}',
];

export default defineConfig(
  { ignores: ['out/', 'dist/', 'node_modules/', 'coverage/', 'schema/'] },

  js.configs.recommended,
  tseslint.configs.recommended,
  vue.configs['flat/recommended'],

  {
    files: ['**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: {
        parser: tseslint.parser,
        extraFileExtensions: ['.vue'],
        sourceType: 'module',
      },
    },
  },

  { files: nodeFiles, languageOptions: { globals: globals.node } },
  { files: ['src/renderer/**'], languageOptions: { globals: globals.browser } },
  // Shared code is bundled into both the renderer and Node, so only globals both have.
  { files: ['src/shared/**'], languageOptions: { globals: globals['shared-node-browser'] } },

  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },

  // Last, so it switches off every stylistic rule that would fight Prettier.
  prettier,
);
