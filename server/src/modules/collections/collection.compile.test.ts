import { describe, expect, it } from 'vitest';
import { checkDefinition, compileCollection, ruleFieldNames } from './collection.compile.js';
import { createCollectionBody, DEFAULT_RULES, type CollectionDef, type FieldDef } from './collection.schema.js';
import { desiredIndexes, planIndexes } from './indexes.js';

const def = (fields: FieldDef[], extra: Partial<CollectionDef> = {}): CollectionDef => ({
  name: 'posts',
  fields,
  indexes: [],
  strict: true,
  rules: DEFAULT_RULES,
  ...extra,
});
const exists = (n: string) => ['users2', 'projects'].includes(n);

describe('checkDefinition', () => {
  it('accepts a rich, consistent definition and compiles it', () => {
    const d = def(
      [
        { name: 'title', type: 'string', required: true, searchable: true, maxLength: 200 },
        { name: 'slug', type: 'string', unique: true, pattern: '^[a-z-]+$' },
        { name: 'views', type: 'integer', default: 0, min: 0 },
        { name: 'secret', type: 'string', hidden: true },
        { name: 'project', type: 'relation', to: 'projects', onDelete: 'cascade' },
        { name: 'parent', type: 'relation', to: 'posts', onDelete: 'setNull' },
        { name: 'watchers', type: 'array', of: { type: 'relation', to: 'users2' }, onDelete: 'setNull' },
      ],
      { indexes: [{ name: 'by_views', fields: ['-views', 'createdAt'] }] },
    );
    expect(checkDefinition(d, exists)).toEqual({});
    const c = compileCollection('app1', d, 4);
    expect(c.hidden).toEqual(new Set(['secret']));
    expect(c.searchable).toEqual(['title']);
    expect(c.relations).toEqual([
      { field: 'project', to: 'projects', many: false, onDelete: 'cascade' },
      { field: 'parent', to: 'posts', many: false, onDelete: 'setNull' },
      { field: 'watchers', to: 'users2', many: true, onDelete: 'setNull' },
    ]);
    const names = desiredIndexes(d).map((i) => i.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'auto_unique_slug',
        'auto_rel_project',
        'auto_rel_watchers',
        'auto_text',
        'by_views',
        'auto_created',
      ]),
    );
  });

  it('names every inconsistency', () => {
    const errors = checkDefinition(
      def(
        [
          { name: 'a', type: 'string' },
          { name: 'a', type: 'number' },
          { name: 'r', type: 'relation' },
          { name: 'r2', type: 'relation', to: 'nowhere' },
          { name: 's', type: 'string', to: 'projects', of: { type: 'string' }, onDelete: 'cascade' },
          { name: 'n', type: 'number', min: 5, max: 1, pattern: 'x', maxLength: 3 },
          { name: 'j', type: 'json', unique: true, searchable: true },
          { name: 'p', type: 'string', pattern: '(a+)+$' },
          { name: 'd', type: 'integer', default: 'zero' },
          { name: 'e', type: 'string', enum: [1, 2] },
          { name: 'dt', type: 'date', min: 'yesterday' },
          { name: 'h', type: 'string', hidden: true, searchable: true, unique: true },
        ],
        {
          indexes: [
            { name: 'i', fields: ['missing'] },
            { name: 'i', fields: ['a', 'a'] },
          ],
          rules: { ...DEFAULT_RULES, list: { $where: '1' }, get: { owner: '@data.owner' } },
        },
      ),
      exists,
    );
    expect(errors).toMatchObject({
      'fields.1.name': 'duplicates field a',
      'fields.2.to': 'is required for relations',
      'fields.3.to': 'no collection named nowhere',
      'fields.4.to': 'is only for relation fields',
      'fields.4.of': 'is only for array fields',
      'fields.4.onDelete': 'is only for relation and file fields',
      'fields.5.min': 'is greater than max',
      'fields.5.pattern': 'is not supported for number fields',
      'fields.5.minLength': expect.stringContaining('not supported'),
      'fields.6.unique': 'is not supported for json fields',
      'fields.6.searchable': expect.any(String),
      'fields.7.pattern': expect.stringContaining('nested quantifiers'),
      'fields.8.default': 'must be an integer',
      'fields.9.enum': 'must list strings',
      'fields.10.min': 'must be an ISO-8601 date',
      'fields.11.searchable': 'cannot be combined with hidden',
      'fields.11.unique': 'cannot be combined with hidden',
      'indexes.0.fields': 'missing is not a field of this collection',
      'indexes.1.name': 'duplicates index i',
      'indexes.1.fields': 'names a twice',
      'rules.list': expect.stringContaining('$where'),
      'rules.get': expect.stringContaining('@data'),
    });
  });

  it('the request schema refuses reserved and malformed names', () => {
    const r = createCollectionBody.safeParse({
      name: '_users',
      fields: [
        { name: 'id', type: 'string' },
        { name: '$set', type: 'string' },
        { name: '__proto__', type: 'string' },
        { name: 'expand', type: 'string' },
        { name: 'ok', type: 'blob' },
      ],
      indexes: [{ name: 'auto_x', fields: ['ok'] }],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining([
        'name',
        'fields.0.name',
        'fields.1.name',
        'fields.2.name',
        'fields.3.name',
        'fields.4.type',
        'indexes.0.name',
      ]),
    );
  });
});

describe('indexes', () => {
  it('plans creates and drops; a changed index is dropped and re-created', () => {
    const plan = planIndexes(
      [
        { kind: 'regular', name: 'a', fields: [{ path: 'x', dir: 1 }] },
        { kind: 'regular', name: 'b', fields: [{ path: 'y', dir: 1 }] },
        { kind: 'text', name: 't', fields: ['x'] },
      ],
      [
        { kind: 'regular', name: 'a', fields: [{ path: 'x', dir: 1 }] },
        { kind: 'regular', name: 'b', fields: [{ path: 'y', dir: 1 }], unique: true },
        { kind: 'regular', name: 'c', fields: [{ path: 'z', dir: -1 }] },
      ],
    );
    expect(plan.create.map((s) => s.name).sort()).toEqual(['b', 'c']);
    expect(plan.drop.sort()).toEqual(['b', 't']);
  });
});

describe('owner-first twins of the admin indexes', () => {
  const indexes = [
    { name: 'by_cat', fields: ['category', '-score'] },
    { name: 'by_mail', fields: ['email'], unique: true },
    { name: 'by_owner_day', fields: ['owner', 'day'] },
  ];
  const twins = (list: CollectionDef['rules']['list']) =>
    desiredIndexes(def([], { indexes, rules: { ...DEFAULT_RULES, list } })).filter((i) =>
      i.name.startsWith('auto_owner_'),
    );

  it('adds one per index (never unique, owner first) when the list rule fixes the owner', () => {
    for (const list of [{ owner: '@auth.id' }, { owner: { $eq: '@auth.id' } }, { $and: [{ a: 1 }, { owner: 'u1' }] }]) {
      expect(twins(list)).toEqual([
        {
          kind: 'regular',
          name: 'auto_owner_by_cat',
          fields: [
            { path: 'owner', dir: 1 },
            { path: 'category', dir: 1 },
            { path: 'score', dir: -1 },
          ],
        },
        {
          kind: 'regular',
          name: 'auto_owner_by_mail',
          fields: [
            { path: 'owner', dir: 1 },
            { path: 'email', dir: 1 },
          ],
        },
      ]);
    }
  });

  it('leaves out a twin whose keys another index has, and stops at 63 indexes', () => {
    const same = def([], {
      indexes: [
        { name: 'by_created', fields: ['createdAt'] },
        { name: 'by_a', fields: ['a'] },
        { name: 'by_owner_a', fields: ['owner', 'a'] },
      ],
      rules: DEFAULT_RULES,
    });
    // (owner, createdAt) is auto_owner; (owner, a) is by_owner_a.
    expect(desiredIndexes(same).filter((i) => i.name.startsWith('auto_owner_'))).toEqual([]);
    const many = def([], {
      indexes: Array.from({ length: 32 }, (_, i) => ({ name: `i${i}`, fields: [`f${i}`] })),
      rules: DEFAULT_RULES,
    });
    const all = desiredIndexes(many);
    expect(all).toHaveLength(63);
    expect(all.filter((i) => i.name.startsWith('auto_owner_'))).toHaveLength(29);
  });

  it('gives a long admin index name a twin name the engines take, distinct per name', () => {
    const long = (tail: string) => `n${'x'.repeat(52)}${tail}`.slice(0, 63);
    const names = [long('a'), long('b'), `i${'y'.repeat(51)}`];
    const twinsOf = desiredIndexes(
      def([], { indexes: names.map((name, i) => ({ name, fields: [`f${i}`] })), rules: DEFAULT_RULES }),
    ).filter((i) => i.name.startsWith('auto_owner_'));
    expect(twinsOf).toHaveLength(3);
    for (const t of twinsOf) expect(t.name).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,62}$/);
    expect(new Set(twinsOf.map((t) => t.name)).size).toBe(3);
    expect(twinsOf.map((t) => t.name)).toContain(`auto_owner_i${'y'.repeat(51)}`); // 63: as it is
  });

  it('adds none when the list rule lets several owners through', () => {
    for (const list of [
      'public',
      'authenticated',
      null,
      { public: true },
      { owner: { $in: ['@auth.id', 'x'] } },
      { $or: [{ owner: '@auth.id' }, { public: true }] },
      { owner: { $ne: '@auth.id' } },
    ] as const) {
      expect(twins(list as CollectionDef['rules']['list'])).toEqual([]);
    }
  });
});

describe('ruleFieldNames', () => {
  it('lists the fields a rule names', () => {
    expect(
      [
        ...ruleFieldNames({
          $or: [{ public: true }, { 'members.id': '@auth.id' }],
          '@auth.roles': 'x',
          status: '@data.state',
        }),
      ].sort(),
    ).toEqual(['members', 'public', 'state', 'status']);
  });
});
