import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/.data', 'tools/build/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    // Decorator metadata needs constructor parameter types as values; this tells the
    // type-import rule so it leaves NestJS injection points alone.
    languageOptions: { parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // Dependencies point inward: apps and tools use libs; domain uses nothing of ours.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:domain', 'type:util', 'type:testing'] },
            { sourceTag: 'type:queue', onlyDependOnLibsWithTags: ['type:domain', 'type:util', 'type:contracts', 'type:testing'] },
            { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:domain', 'type:util', 'type:contracts', 'type:client', 'type:data', 'type:queue', 'type:runtime'] },
            { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:domain', 'type:util', 'type:queue'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:util', 'type:contracts', 'type:data', 'type:queue', 'type:runtime', 'type:client', 'type:testing', 'type:fake'] },
            { sourceTag: 'type:fake', onlyDependOnLibsWithTags: ['type:domain', 'type:util'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:domain', 'type:util', 'type:contracts', 'type:data', 'type:queue', 'type:runtime', 'type:client', 'type:sdk', 'type:testing', 'type:fake'] },
          ],
        },
      ],
    },
  },
  {
    // End-to-end suites compose several apps in one process (the gateway with a worker, say):
    // they may import an app's entry definitions; production code may not.
    files: ['**/e2e/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
