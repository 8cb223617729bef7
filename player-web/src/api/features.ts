// What the server's schema offers right now. The schema grows while clients ship, so the
// few fields that arrived late are detected once (introspection) instead of assumed; a
// missing one hides its feature rather than failing the whole query.

import { gql } from './client';

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}

interface Introspected {
  query: { fields: { name: string; args: { name: string; type: TypeRef }[] }[] } | null;
  video: { fields: { name: string }[] } | null;
  thumbnails: { fields: { name: string }[] } | null;
}

export interface InputField {
  name: string;
  /** e.g. "[String!]", "Boolean!", "Int" */
  type: string;
  list: boolean;
  scalar: string | null;
}

export interface Features {
  /** Video.similar(first) */
  similar: boolean;
  /** Query.playback */
  playback: boolean;
  /** Thumbnails.tileUrls: every trickplay tile, signed (else `url` is a pattern or one tile). */
  tileUrls: boolean;
  /** The GraphQL type of playback's `device` argument and its fields, when there is one. */
  deviceInput: { typeName: string; fields: InputField[] } | null;
}

const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';

function render(type: TypeRef | null): string {
  if (!type) return '';
  if (type.kind === 'NON_NULL') return `${render(type.ofType)}!`;
  if (type.kind === 'LIST') return `[${render(type.ofType)}]`;
  return type.name ?? '';
}

function unwrap(type: TypeRef | null): { list: boolean; name: string | null } {
  let list = false;
  let current = type;
  while (current && (current.kind === 'NON_NULL' || current.kind === 'LIST')) {
    if (current.kind === 'LIST') list = true;
    current = current.ofType;
  }
  return { list, name: current?.name ?? null };
}

let cached: Promise<Features> | null = null;

async function detect(): Promise<Features> {
  const found = await gql<Introspected>(`{
    query: __type(name: "Query") { fields { name args { name type { ${TYPE_REF} } } } }
    video: __type(name: "Video") { fields { name } }
    thumbnails: __type(name: "Thumbnails") { fields { name } }
  }`);
  const queryFields = found.query?.fields ?? [];
  const playbackField = queryFields.find((field) => field.name === 'playback');
  let deviceInput: Features['deviceInput'] = null;
  const deviceArg = playbackField?.args.find((arg) => arg.name === 'device');
  if (deviceArg) {
    const typeName = render(deviceArg.type).replace(/!$/, '');
    const inputName = unwrap(deviceArg.type).name;
    const input = await gql<{ t: { inputFields: { name: string; type: TypeRef }[] } | null }>(
      `query($name: String!) { t: __type(name: $name) { inputFields { name type { ${TYPE_REF} } } } }`,
      { name: inputName },
    );
    deviceInput = {
      typeName,
      fields: (input.t?.inputFields ?? []).map((field) => {
        const { list, name } = unwrap(field.type);
        return { name: field.name, type: render(field.type), list, scalar: name };
      }),
    };
  }
  return {
    similar: (found.video?.fields ?? []).some((field) => field.name === 'similar'),
    playback: Boolean(playbackField),
    tileUrls: (found.thumbnails?.fields ?? []).some((field) => field.name === 'tileUrls'),
    deviceInput,
  };
}

/** Detected once per page load; if introspection fails, playback is tried and similar is not. */
export function features(): Promise<Features> {
  cached ??= detect().catch(() => ({ similar: false, playback: true, tileUrls: false, deviceInput: null }));
  return cached;
}
