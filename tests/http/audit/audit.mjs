// graphql-http's GraphQL over HTTP audit against a running endpoint, for tests/http/test_audit.py:
// `node audit.mjs http://127.0.0.1:PORT/graphql` prints one JSON line, every audit's result.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint URL>');
  process.exit(2);
}
const results = await auditServer({ url });
const summary = await Promise.all(
  results.map(async (result) => {
    if (result.status === 'ok') return { id: result.id, name: result.name, status: 'ok' };
    // A failing audit carries the response it judged: its status and body say why.
    const body = await result.response.text().catch(() => '');
    return {
      id: result.id,
      name: result.name,
      status: result.status,
      reason: result.reason,
      httpStatus: result.response.status,
      body: body.slice(0, 500),
    };
  }),
);
console.log(JSON.stringify(summary));
