import { MongoClient } from 'mongodb';
import { describe, expect, inject, it } from 'vitest';

describe('jongodb test server', () => {
  it('accepts connections and stores documents', async () => {
    const client = await MongoClient.connect(inject('mongoUrl'));
    try {
      const col = client.db('smoke').collection('c');
      await col.insertOne({ _id: 'x' as never, a: 1 });
      expect(await col.findOne({ _id: 'x' as never })).toEqual({ _id: 'x', a: 1 });
    } finally {
      await client.close();
    }
  });
});
