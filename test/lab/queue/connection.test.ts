import { describe, expect, it } from 'vitest';
import { redactUrl, redisOptions } from '../../../src/lab/queue/connection.ts';
import { UserError } from '../../../src/errors.ts';

describe('redisOptions', () => {
  it('reads host, port, password, database and TLS from the URL', () => {
    const o = redisOptions('rediss://lab:s%40cret@redis.example:6380/2');
    expect(o).toMatchObject({ host: 'redis.example', port: 6380, username: 'lab', password: 's@cret', db: 2, maxRetriesPerRequest: null });
    expect(o.tls).toEqual({ servername: 'redis.example' });
    expect(redisOptions('redis://127.0.0.1').port).toBe(6379);
    expect(redisOptions('redis://127.0.0.1:7000').tls).toBeUndefined();
  });

  it('refuses other schemes and malformed URLs with the fix, never echoing the password', () => {
    expect(() => redisOptions('http://x:1')).toThrow(UserError);
    expect(() => redisOptions('http://u:pw@x:1')).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => redisOptions('http://u:pw@x:1')).not.toThrow(/pw/);
    expect(() => redisOptions('localhost:6379')).toThrow(/localhost: uses|redis:\/\//);
    expect(() => redisOptions('nonsense')).toThrow(/not a URL/);
    expect(() => redisOptions('redis://h:1/abc')).toThrow(/database number/);
    expect(redactUrl('redis://:pw@h:1')).toBe('redis://:***@h:1');
  });
});
