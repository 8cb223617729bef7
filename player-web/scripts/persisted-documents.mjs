// dist/persisted-documents.json: every operation this app sends, keyed by the SHA-256 of its
// exact text (what src/api/client.ts hashes), for `flix persisted register` when the server
// runs only registered documents (FLIX_PERSISTED_QUERIES=allowlist; docs/persisted_queries.md).
// Run by `npm run build`, after codegen has written src/api/generated/graphql.ts.

import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'rolldown';

const scratch = await mkdtemp(join(tmpdir(), 'flix-documents-'));
try {
  const file = join(scratch, 'graphql.mjs');
  await build({ input: 'src/api/generated/graphql.ts', output: { file, format: 'esm' }, logLevel: 'silent' });
  const generated = await import(pathToFileURL(file).href);
  const manifest = {};
  for (const [name, value] of Object.entries(generated)) {
    // Operations only: fragments travel inside the operations that spread them.
    if (!(value instanceof String) || !name.endsWith('Document')) continue;
    const text = value.toString();
    manifest[createHash('sha256').update(text).digest('hex')] = text;
  }
  await writeFile('dist/persisted-documents.json', `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`dist/persisted-documents.json: ${Object.keys(manifest).length} operations`);
} finally {
  await rm(scratch, { recursive: true, force: true });
}
