import fc from 'fast-check';

/**
 * Values an attacker sends whatever the schema says: traversal and bad percent-encoding in path
 * segments, injection-looking strings, `$` operators and prototype keys in JSON, deep nesting,
 * huge and wide values, malformed JSON, wrong content types and odd credentials.
 *
 * Sizes stay below what Node's HTTP parser refuses on its own (16 KiB of request line and
 * headers → 431 before the app runs), except where the point is the body limit (1 MiB → 413).
 */

export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2f',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u0627\u0644',
  '😀'.repeat(40),
  "' OR '1'='1' --",
  '"; DROP TABLE documents; --',
  '{"$gt": ""}',
  '$where',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  '${7*7}',
  'NaN',
  '-0',
  '1e309',
  '0x10',
  'null',
  'a'.repeat(5000),
];

/**
 * Path segments sent as they are (not encoded again): the router has to decode them. (No bare
 * `.` or `..`: the client resolves those before sending, so they would name another route.)
 */
export const RAW_SEGMENTS: readonly string[] = [
  '%E0%A4%A',
  '%ZZ',
  '%',
  '%C0%AF',
  '%ED%A0%80',
  '%00',
  '%2F',
  '..%2F..%2Fadmin',
  '%2e%2e',
  '%5C..%5C',
  'a%20b',
  '%F0%9F%98%80',
  '__proto__',
  'constructor',
  '%24where',
  '*',
  encodeURIComponent('a'.repeat(4000)),
];

export const QUERY_STRINGS: readonly string[] = [
  ...HOSTILE_STRINGS.filter((s) => s.length < 1000),
  '%ZZ',
  '%E0%A4%A',
  '{"$where":"sleep(1000)"}',
  '{"$foo":1}',
  '{"title":{"$regex":"(a+)+$"}}',
  '{"title":{"$regex":"\\\\p{L}{0,1000}\\\\p{L}{0,1000}"}}',
  '{"$or":[]}',
  '{"a":{"$in":' + JSON.stringify(Array.from({ length: 500 }, (_, i) => i)) + '}}',
  '{"title":'.repeat(600) + '1' + '}'.repeat(600),
  '{"$and":['.repeat(300) + '{}' + ']}'.repeat(300),
  '[]',
  '-',
  ',,,',
  'title,'.repeat(200),
  'label.'.repeat(100) + 'label',
];

const deepObject = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};
const deepArray = (depth: number): unknown => {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

/** JSON bodies (or parts of them) no schema should let through harmfully. */
export const HOSTILE_JSON: readonly { why: string; value: () => unknown }[] = [
  { why: 'deep object (64)', value: () => deepObject(64) },
  { why: 'deep object (2000)', value: () => deepObject(2000) },
  { why: 'deep array (3000)', value: () => ({ tags: deepArray(3000) }) },
  { why: '$where', value: () => ({ $where: 'sleep(1000) || true' }) },
  { why: 'unknown $ operator', value: () => ({ $foo: { a: 1 } }) },
  { why: 'operators as values', value: () => ({ title: { $gt: '' }, n: { $ne: null }, owner: { $exists: true } }) },
  { why: '$set of system fields', value: () => ({ $set: { id: 'x', owner: 'someone', version: 0, createdAt: 'x' } }) },
  { why: '$unset everything', value: () => ({ $unset: ['title', 'n', 'owner', 'id', '$where'] }) },
  { why: '$inc on a string', value: () => ({ $inc: { title: 1, n: 1e308 } }) },
  { why: '$push huge', value: () => ({ $push: { tags: Array.from({ length: 5000 }, (_, i) => `t${i}`) } }) },
  { why: '__proto__ key', value: () => JSON.parse('{"__proto__": {"polluted": true}, "title": "x"}') },
  { why: 'constructor.prototype', value: () => ({ constructor: { prototype: { polluted: true } } }) },
  {
    why: 'system fields',
    value: () => ({ id: 'forged', owner: 'forged', version: 99, createdAt: '1970-01-01T00:00:00Z' }),
  },
  { why: 'dotted and $ keys', value: () => ({ 'a.b': 1, $x: 1, '': 1, ' ': 2 }) },
  {
    why: 'wide object (3000 keys)',
    value: () => Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i])),
  },
  { why: 'long array (20000)', value: () => ({ tags: Array.from({ length: 20_000 }, () => 'x') }) },
  { why: 'huge string (700 KB)', value: () => ({ title: 'x'.repeat(700_000) }) },
  { why: 'over the body limit (1.1 MB)', value: () => ({ title: 'x'.repeat(1_100_000) }) },
  { why: 'extreme numbers', value: () => ({ n: 1.7976931348623157e308, m: -1e308, t: 5e-324, i: 2 ** 64 }) },
  { why: 'lone surrogates', value: () => ({ title: '\ud800', email: '\udfff@example.com' }) },
  {
    why: 'NUL bytes',
    value: () => ({ title: 'a\u0000b', email: 'a\u0000@example.com', password: '\u0000'.repeat(20) }),
  },
  { why: 'array body', value: () => [{ title: 'x' }] },
  { why: 'empty object', value: () => ({}) },
];

/** Bodies that are not JSON, or not what the content type says. */
export const RAW_BODIES: readonly { why: string; contentType: string; body: string }[] = [
  { why: 'truncated JSON', contentType: 'application/json', body: '{"email": ' },
  { why: 'unclosed array', contentType: 'application/json', body: '[1, 2' },
  { why: 'trailing garbage', contentType: 'application/json', body: '{"a":1} trailing' },
  { why: 'bare string', contentType: 'application/json', body: '"just a string"' },
  { why: 'bare number', contentType: 'application/json', body: '123' },
  { why: 'bare null', contentType: 'application/json', body: 'null' },
  { why: 'NaN literal', contentType: 'application/json', body: '{"n": NaN}' },
  { why: 'single quotes', contentType: 'application/json', body: "{'a': 1}" },
  { why: 'duplicate keys', contentType: 'application/json', body: '{"title":"a","title":{"$gt":""}}' },
  { why: 'a BOM', contentType: 'application/json', body: '\ufeff{"a":1}' },
  { why: 'deep nesting (20000)', contentType: 'application/json', body: '['.repeat(20_000) + ']'.repeat(20_000) },
  { why: 'whitespace only', contentType: 'application/json', body: '   ' },
  { why: 'text/plain', contentType: 'text/plain', body: 'email=a@b.c' },
  { why: 'form encoded', contentType: 'application/x-www-form-urlencoded', body: 'email=a%40b.c&password=x' },
  { why: 'multipart', contentType: 'multipart/form-data; boundary=xyz', body: '--xyz\r\n\r\nx\r\n--xyz--' },
  { why: 'utf-16 charset', contentType: 'application/json; charset=utf-16', body: '{"a":1}' },
  { why: 'unknown charset', contentType: 'application/json; charset=klingon', body: '{"a":1}' },
  { why: '+json type', contentType: 'application/merge-patch+json', body: '{"a":1}' },
  { why: 'xml', contentType: 'application/xml', body: '<a>1</a>' },
];

/** Extra headers sometimes added to a case (credentials are the principal's business). */
export const HOSTILE_HEADERS: readonly Record<string, string>[] = [
  { 'If-Match': '"abc"' },
  { 'If-Match': '*' },
  { 'If-Match': 'W/"1"' },
  { 'If-Match': '"99999999999999999999999"' },
  { 'If-Match': '"-1"' },
  { 'Idempotency-Key': 'k'.repeat(300) },
  { 'Idempotency-Key': '../../x' },
  { 'Idempotency-Key': 'fuzz-idempotency-1' },
  { 'X-Forwarded-For': '203.0.113.9, 10.0.0.1' },
  { Origin: 'https://evil.example' },
  { 'X-Request-Id': '<script>' },
  { Accept: 'text/html' },
];

/** Credentials an attacker makes up (sent instead of the principal's). */
export const FORGED_CREDENTIALS: readonly Record<string, string>[] = [
  { Authorization: 'Bearer' },
  { Authorization: 'Bearer ' + 'x'.repeat(2000) },
  { Authorization: 'Basic YWRtaW46YWRtaW4=' },
  // alg "none", subject "admin"
  { Authorization: 'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiIsInR5cCI6ImFkbWluIn0.' },
  { Authorization: 'Bearer a.b.c' },
  { 'X-Hearth-Key': '' },
  { 'X-Hearth-Key': 'pk_' },
  { 'X-Hearth-Key': 'sk_' + 'A'.repeat(500) },
  { 'X-Hearth-Key': "' OR 1=1 --" },
];

export const hostileString = fc.constantFrom(...HOSTILE_STRINGS);
