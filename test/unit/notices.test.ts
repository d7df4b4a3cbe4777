import { describe, expect, it } from 'vitest';
import { joinedNotice, leftNotice, parsePresence } from '../../src/protocol/notices.js';

describe('join and leave notices', () => {
  it('are read back by the parser the client uses, in every form the server writes', () => {
    expect(parsePresence(joinedNotice('小明', 'dev'))).toEqual({ name: '小明', event: 'joined', room: 'dev' });
    expect(parsePresence(leftNotice('bob', 'lobby'))).toEqual({ name: 'bob', event: 'left', room: 'lobby' });
    for (const why of ['connection lost', 'too slow to keep up', 'flooding', 'server shutting down']) {
      expect(leftNotice('a.b-c', 'ops_room', why)).toBe(`a.b-c left ops_room (${why})`);
      expect(parsePresence(leftNotice('a.b-c', 'ops_room', why))).toEqual({ name: 'a.b-c', event: 'left', room: 'ops_room' });
    }
  });

  it('ignores other notices', () => {
    expect(parsePresence('the server is shutting down; goodbye')).toBeUndefined();
    expect(parsePresence('you are already in lobby')).toBeUndefined();
  });
});
