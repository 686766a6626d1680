import { expect } from 'vitest';
import { C, type Row } from './types.js';

export const POST_ROWS: Row[] = [
  // ── posts: list/get {"$or": [{"published": true}, {"owner": "@auth.id"}]}; create authenticated; update owner; delete null
  {
    name: 'published or own',
    as: 'bob',
    method: 'get',
    url: `${C}/posts/documents`,
    status: 200,
    ids: ['pPubA', 'pDraftB'],
  },
  {
    name: 'author sees own drafts',
    as: 'alice',
    method: 'get',
    url: `${C}/posts/documents`,
    status: 200,
    ids: ['pPubA', 'pDraftA'],
  },
  {
    name: 'public sees published only',
    as: 'public',
    method: 'get',
    url: `${C}/posts/documents`,
    status: 200,
    ids: ['pPubA'],
  },
  {
    name: 'anonymous sees published only',
    as: 'anon',
    method: 'get',
    url: `${C}/posts/documents?count=exact`,
    status: 200,
    ids: ['pPubA'],
    check: (b) => expect(b.count).toBe(1),
  },
  {
    name: "someone else's draft → 404",
    as: 'bob',
    method: 'get',
    url: `${C}/posts/documents/{pDraftA}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: "cannot edit someone else's published post",
    as: 'bob',
    method: 'patch',
    url: `${C}/posts/documents/{pPubA}`,
    body: { title: 'x' },
    status: 404,
    code: 'not_found',
  },
  {
    name: 'author edits',
    as: 'alice',
    method: 'patch',
    url: `${C}/posts/documents/{pDraftA}`,
    body: { published: false },
    status: 200,
    events: ['documents.update:posts'],
  },
  {
    name: 'delete rule null: even the author cannot delete',
    as: 'alice',
    method: 'delete',
    url: `${C}/posts/documents/{pDraftA}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'aggregate counts per owner only over visible posts',
    as: 'public',
    method: 'post',
    url: `${C}/posts/aggregate`,
    body: { pipeline: [{ $match: {} }, { $group: { _id: '$published', n: { $count: {} } } }] },
    status: 200,
    check: (b) => expect(b.items).toEqual([{ published: true, n: 1 }]),
  },

  // ── comments → posts relation: expand applies the posts rule
  {
    name: 'expand hides a post the caller may not read',
    as: 'alice',
    method: 'get',
    url: `${C}/comments/documents?expand=post&sort=text`,
    status: 200,
    check: (b, f) => {
      const items = b.items as Array<{ text: string; post: string; expand: { post: unknown } }>;
      expect(items.map((c) => c.text)).toEqual(['on bob draft', 'on published']);
      expect(items[0]!.post).toBe(f.ids.pDraftB);
      expect(items[0]!.expand.post).toBeNull();
      expect(items[1]!.expand.post).toMatchObject({ id: f.ids.pPubA });
    },
  },
  {
    name: 'expand shows it to its author',
    as: 'bob',
    method: 'get',
    url: `${C}/comments/documents/{cDraftB}?expand=post`,
    status: 200,
    check: (b, f) => expect(b.expand).toEqual({ post: expect.objectContaining({ id: f.ids.pDraftB }) }),
  },
];
