// Composes the subgraphs' SDLs into a supergraph (Federation 2), for `flix supergraph`.
// Reads {"subgraphs": [{"name", "url", "sdl"}]} on stdin; writes
// {"supergraph", "api", "errors"} on stdout: the supergraph SDL, the client-facing (API)
// schema it serves, and every composition error (then the other two are null).
import {
  composeServices,
  compositionHasErrors,
  transformSupergraphToPublicSchema,
} from "@theguild/federation-composition";
import { Kind, parse, print, visit } from "graphql";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { subgraphs } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const documents = subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) }));

// The composer keeps a composed directive's definition but not its description: take it back
// from the subgraphs, so the gateway's clients read the same guards as the merged schema's.
const descriptions = new Map();
for (const { typeDefs } of documents) {
  for (const definition of typeDefs.definitions) {
    if (definition.kind === Kind.DIRECTIVE_DEFINITION && definition.description) {
      descriptions.set(definition.name.value, definition.description);
    }
  }
}

const result = composeServices(documents);
let answer;
if (compositionHasErrors(result)) {
  answer = { supergraph: null, api: null, errors: result.errors.map((error) => error.message) };
} else {
  const supergraph = visit(result.supergraphDocumentNode, {
    DirectiveDefinition(node) {
      const description = descriptions.get(node.name.value);
      return description && !node.description ? { ...node, description } : undefined;
    },
  });
  answer = {
    supergraph: print(supergraph),
    api: print(transformSupergraphToPublicSchema(supergraph)),
    errors: [],
  };
}
process.stdout.write(JSON.stringify(answer));
