/**
 * The operations of an OpenAPI 3.1 document as the fuzzer needs them: method, path template,
 * parameters (path and query) with their JSON schemas, the request body's schema, the security
 * alternatives and the declared response statuses. Local `$ref`s are resolved lazily by
 * `resolveRef` (the document is the root).
 */
export type JsonSchema = {
  type?: string | string[];
  $ref?: string;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  not?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
  description?: string;
};

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type SecurityScheme = 'adminBearer' | 'appKey' | 'userBearer';

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  /** `GET /v1/apps/{appId}`: the name in reports and the seed's salt. */
  key: string;
  method: HttpMethod;
  /** The path template with `{name}` parameters. */
  path: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  body: JsonSchema | undefined;
  /** Alternatives (any one suffices); empty: open to anyone. */
  security: SecurityScheme[];
  /** The statuses the operation declares for success (2xx/3xx). */
  successStatuses: number[];
}

const METHODS: HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
}

interface RawOperation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  security?: Array<Record<string, unknown>>;
  responses?: Record<string, unknown>;
}

export function operationsOf(doc: unknown): Operation[] {
  const paths = (doc as OpenApiDocument).paths;
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const raw = item[method];
      if (!raw) continue;
      // Header parameters (If-Match, X-Request-Id…) are shared $refs: the fuzzer varies path and query.
      const inline = (raw.parameters ?? []).filter((p) => p.in === 'path' || p.in === 'query');
      const params = inline.map((p): Parameter => ({
        name: p.name,
        in: p.in === 'path' ? 'path' : 'query',
        required: p.in === 'path' || Boolean(p.required),
        schema: p.schema ?? {},
      }));
      out.push({
        key: `${method.toUpperCase()} ${path}`,
        method,
        path,
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        body: raw.requestBody?.content?.['application/json']?.schema,
        security: (raw.security ?? []).flatMap((s) => Object.keys(s) as SecurityScheme[]),
        successStatuses: Object.keys(raw.responses ?? {})
          .filter((s) => /^[23]\d\d$/.test(s))
          .map(Number),
      });
    }
  }
  return out;
}

/** `#/components/schemas/X` and friends, against the document. */
export function resolveRef(doc: unknown, ref: string): JsonSchema {
  if (!ref.startsWith('#/')) throw new Error(`fuzzer: only local $refs are supported (${ref})`);
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (!node || typeof node !== 'object') throw new Error(`fuzzer: unresolvable $ref ${ref}`);
  return node as JsonSchema;
}

/** The template with each `{name}` replaced by its (already encoded) segment. */
export function fillPath(template: string, segments: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const segment = segments[name];
    if (segment === undefined) throw new Error(`fuzzer: no value for path parameter ${name}`);
    return segment;
  });
}
