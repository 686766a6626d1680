import type { OpenApiDocument } from '../../http/openapi.js';
import type { ElementDef, FieldDef } from './collection.schema.js';
import type { CompiledCollection } from './collection.compile.js';

/**
 * /v1/apps/{app}/openapi.json: the app-facing part of /openapi.json for one app, with a typed
 * schema per collection (`Todos`, `TodosCreate`, `TodosPatch`) and that collection's document
 * routes spelled out, so openapi-generator / openapi-typescript produce a typed client for this
 * app (Swift, Kotlin, Dart, TypeScript) without `Record<string, unknown>` bodies.
 */
type Json = Record<string, unknown>;

const SYSTEM = {
  id: { type: 'string', readOnly: true },
  createdAt: { type: 'string', format: 'date-time', readOnly: true },
  updatedAt: { type: 'string', format: 'date-time', readOnly: true },
  owner: { type: ['string', 'null'], readOnly: true },
  version: { type: 'integer', minimum: 1, readOnly: true },
};

function elementSchema(f: ElementDef | FieldDef): Json {
  const c: Json = {};
  if (f.enum) c.enum = f.enum;
  if (f.minLength !== undefined) c.minLength = f.minLength;
  if (f.maxLength !== undefined) c.maxLength = f.maxLength;
  if (f.pattern !== undefined) c.pattern = f.pattern;
  const numeric = {
    ...(typeof f.min === 'number' ? { minimum: f.min } : {}),
    ...(typeof f.max === 'number' ? { maximum: f.max } : {}),
  };
  switch (f.type) {
    case 'string':
      return { type: 'string', ...c };
    case 'email':
      return { type: 'string', format: 'email', ...c };
    case 'url':
      return { type: 'string', format: 'uri', ...c };
    case 'date':
      return { type: 'string', format: 'date-time' };
    case 'number':
      return { type: 'number', ...numeric, ...c };
    case 'integer':
      return { type: 'integer', ...numeric, ...c };
    case 'boolean':
      return { type: 'boolean' };
    case 'geopoint':
      return {
        type: 'object',
        required: ['lat', 'lng'],
        properties: {
          lat: { type: 'number', minimum: -90, maximum: 90 },
          lng: { type: 'number', minimum: -180, maximum: 180 },
        },
        additionalProperties: false,
      };
    case 'file':
      return { type: 'string', description: 'A file id' };
    case 'relation':
      return { type: 'string', description: `The id of a document of ${f.to ?? 'another collection'}` };
    case 'array':
      return { type: 'array', items: 'of' in f && f.of ? elementSchema(f.of) : {} };
    default:
      return {};
  }
}

/** The document (read), create and patch schemas of one collection. */
export function collectionSchemas(col: CompiledCollection): { doc: Json; create: Json; patch: Json } {
  const fields = col.def.fields;
  // The default is stated on reads (where the field is then always present); on writes only in
  // words, since generators read `default` as "always present" and would make the field required.
  const props = (list: FieldDef[], write = true) =>
    Object.fromEntries(
      list.map((f) => [
        f.name,
        {
          ...elementSchema(f),
          ...(f.default === undefined
            ? {}
            : write
              ? { description: `Default: ${JSON.stringify(f.default)}` }
              : { default: f.default }),
        },
      ]),
    );
  const visible = fields.filter((f) => !f.hidden);
  const open = col.def.strict ? false : {};
  const numberFields = fields.filter((f) => f.type === 'number' || f.type === 'integer').map((f) => f.name);
  const arrayFields = fields.filter((f) => f.type === 'array');
  const byName = (names: string[], schema: Json) => ({
    type: 'object',
    properties: Object.fromEntries(names.map((n) => [n, schema])),
    additionalProperties: false,
  });
  const arrayOp = (wrapper: '$each' | '$in') => ({
    type: 'object',
    properties: Object.fromEntries(
      arrayFields.map((f) => {
        const item = f.of ? elementSchema(f.of) : {};
        return [
          f.name,
          {
            oneOf: [
              item,
              {
                type: 'object',
                required: [wrapper],
                properties: { [wrapper]: { type: 'array', items: item } },
                additionalProperties: false,
              },
            ],
          },
        ];
      }),
    ),
    additionalProperties: false,
  });
  return {
    doc: {
      type: 'object',
      required: [
        ...Object.keys(SYSTEM),
        ...visible.filter((f) => f.required || f.default !== undefined).map((f) => f.name),
      ],
      properties: { ...SYSTEM, ...props(visible, false) },
      additionalProperties: open,
    },
    create: {
      type: 'object',
      required: fields.filter((f) => f.required && f.default === undefined).map((f) => f.name),
      properties: props(fields),
      additionalProperties: open,
    },
    patch: {
      type: 'object',
      properties: {
        ...props(fields),
        $inc: byName(numberFields, { type: 'number' }),
        $push: arrayOp('$each'),
        $addToSet: arrayOp('$each'),
        $pull: arrayOp('$in'),
        $unset: {
          type: 'array',
          items: { type: 'string', enum: fields.filter((f) => !f.required).map((f) => f.name) },
        },
      },
      additionalProperties: open,
    },
  };
}

const pascal = (name: string) => name.replace(/(^|_)([a-z0-9])/gi, (_, _u: string, c: string) => c.toUpperCase());

/** The app's document from the server's: app paths only, `{appId}` filled in, collections typed. */
export function appOpenApiDocument(
  base: OpenApiDocument,
  appId: string,
  collections: CompiledCollection[],
): OpenApiDocument {
  const doc = structuredClone(base);
  const paths: OpenApiDocument['paths'] = {};
  const generic: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/v1/apps/{appId}')) continue;
    const concrete = path.replace('{appId}', appId);
    for (const op of Object.values(item) as Array<{ parameters?: Array<{ name?: string; in?: string }> }>)
      op.parameters = op.parameters?.filter((p) => !(p.in === 'path' && p.name === 'appId'));
    if (path.includes('/collections/{collection}/'))
      generic[path.slice('/v1/apps/{appId}/collections/{collection}'.length)] = item;
    else paths[concrete] = item;
  }
  const schemas: Json = { ...doc.components.schemas };
  for (const col of collections) {
    const name = pascal(col.name);
    const s = collectionSchemas(col);
    schemas[name] = s.doc;
    schemas[`${name}Create`] = s.create;
    schemas[`${name}Patch`] = s.patch;
    for (const [suffix, item] of Object.entries(generic)) {
      const typed: Record<string, unknown> = {};
      for (const [method, raw] of Object.entries(item))
        typed[method] = typedOperation(structuredClone(raw) as Json, method, name, suffix);
      paths[`/v1/apps/${appId}/collections/${col.name}${suffix}`] = typed;
    }
  }
  doc.info = { ...doc.info, title: `Hearth API for app ${appId}` };
  doc.paths = paths;
  doc.components = { ...doc.components, schemas };
  return doc;
}

/** One generic document operation, bound to one collection: no `collection` parameter, typed bodies. */
function typedOperation(op: Json, method: string, name: string, suffix: string): Json {
  op.operationId = `${method}${name}${pascal(suffix.replace(/[{}]/g, '').replace(/\//g, '_'))}`;
  op.parameters = ((op.parameters as Array<{ name?: string; in?: string }>) ?? []).filter(
    (p) => !(p.in === 'path' && p.name === 'collection'),
  );
  const ref = (s: string) => ({ $ref: `#/components/schemas/${s}` });
  const body = (op.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined)?.content?.[
    'application/json'
  ];
  if (body && suffix !== '/aggregate') {
    body.schema = ref(method === 'patch' ? `${name}Patch` : `${name}Create`);
    delete (body as { example?: unknown }).example; // the generic example names other fields
  }
  for (const r of Object.values(
    (op.responses as Record<string, { content?: Record<string, { schema?: Json }> }>) ?? {},
  )) {
    const json = r.content?.['application/json'];
    if (!json?.schema || '$ref' in json.schema) continue;
    const schema = json.schema as { properties?: { items?: Json } };
    if (
      schema.properties?.items &&
      (schema.properties.items as { items?: { properties?: { version?: unknown } } }).items?.properties?.version
    )
      schema.properties.items = { type: 'array', items: ref(name) };
    else if ((schema as { properties?: { version?: unknown } }).properties?.version) json.schema = ref(name);
  }
  return op;
}
