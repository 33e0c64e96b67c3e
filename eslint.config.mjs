import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'runner/dist/**',
      'runner/public/**',
      'coverage/**',
      '.data/**',
      'runner/.data/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'package.json'],
    ...n8nCommunityNodesPlugin.configs.recommendedWithoutN8nCloudSupport,
    rules: {
      ...n8nCommunityNodesPlugin.configs.recommendedWithoutN8nCloudSupport.rules,
      // The nodes need three small, well-kept runtime libraries (fast-xml-parser, luxon,
      // standardwebhooks); n8n installs a self-hosted community package's runtime dependencies.
      '@n8n/community-nodes/no-runtime-dependencies': 'off',
    },
  },
  {
    // The plugin reads package.json through the TypeScript parser, as one object expression.
    files: ['package.json'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
  prettier,
);
