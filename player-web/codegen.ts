// graphql-codegen: types for every operation in src/, from the committed SDL.
// `npm run codegen` rewrites src/api/generated/ (committed, so builds need no codegen);
// `npm run codegen:check` (graphql-codegen --check) generates in memory and fails when the
// committed files differ, writing nothing.

import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/**/*.ts', '!src/api/generated/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/api/generated/': {
      preset: 'client',
      presetConfig: {
        // Screens read plain objects; fragments only share selections.
        fragmentMasking: false,
      },
      config: {
        // Documents are strings (the client POSTs them as they are), not parsed ASTs.
        documentMode: 'string',
        // Enums stay string-literal unions (the default): the server's words, no run-time code.
        useTypeImports: true,
        strictScalars: true,
        scalars: { ID: 'string', DateTime: 'string', JSON: 'unknown' },
      },
    },
    // Every enum of the schema as a value too, for the vocabularies the app checks at run time.
    // The client preset above writes only the enums its operations use, and ErrorCode (the
    // words of `extensions.code`) is in no operation: the server lists it in the SDL for this.
    'src/api/generated/enums.ts': {
      plugins: ['typescript'],
      config: {
        onlyEnums: true,
        enumsAsConst: true,
        namingConvention: { enumValues: 'keep' },
        useTypeImports: true,
      },
    },
  },
};

export default config;
