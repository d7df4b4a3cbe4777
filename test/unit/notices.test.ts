import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PASSWORD_CHANGED,
  isReplacedNotice,
  parseTopicNotice,
  replacedNotice,
  topicNotice,
  doneNotice,
  joinedNotice,
  leftNotice,
  liftedNotice,
  moderationNoticeKind,
  mutedNotice,
  parsePresence,
  parseRemoved,
  removedNotice,
  unmutedNotice,
  untilText,
} from '../../src/protocol/notices.js';

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

describe('kick and ban notices', () => {
  const at = Date.UTC(2026, 11, 2, 3, 10, 0, 500);

  it('says when a sanction ends, to the second, or that it lasts until lifted', () => {
    expect(untilText(at)).toBe('until 2026-12-02T03:10:00Z');
    expect(untilText(0)).toBe('until lifted');
  });

  it('names the operator, the end of a ban and the reason; a kick has no end', () => {
    expect(removedNotice('kicked', 'alice', 'spam')).toBe('you were kicked by alice: spam');
    expect(removedNotice('kicked', 'alice', '')).toBe('you were kicked by alice');
    expect(removedNotice('banned', 'alice', 'spam', at)).toBe('you were banned by alice until 2026-12-02T03:10:00Z: spam');
    expect(removedNotice('banned', 'alice', '', 0)).toBe('you were banned by alice until lifted');
  });

  it('parseRemoved reads what removedNotice writes and nothing else', () => {
    expect(parseRemoved(removedNotice('kicked', 'Zoë', 'x'))).toEqual({ action: 'kicked', by: 'Zoë' });
    expect(parseRemoved(removedNotice('banned', 'alice', '', 0))).toEqual({ action: 'banned', by: 'alice' });
    expect(parseRemoved('bob left lobby (kicked by alice: spam)')).toBeUndefined();
    expect(parseRemoved('they said you were kicked by alice')).toBeUndefined();
  });
});

describe('moderationNoticeKind', () => {
  it('tells apart each notice the server writes, as it writes them', () => {
    expect(moderationNoticeKind(removedNotice('banned', 'alice', 'x', 0))).toBe('removed');
    expect(moderationNoticeKind(mutedNotice('alice', 0, 'calm down'))).toBe('muted');
    expect(moderationNoticeKind(mutedNotice('Zoë', Date.UTC(2026, 0, 1), ''))).toBe('muted');
    expect(moderationNoticeKind(unmutedNotice('alice'))).toBe('unmuted');
    expect(moderationNoticeKind(PASSWORD_CHANGED)).toBe('password-changed');
    expect(moderationNoticeKind(doneNotice('kicked', 'bob', '', 'spam'))).toBe('confirmed');
    expect(moderationNoticeKind(doneNotice('banned', 'bob', 'until lifted', ''))).toBe('confirmed');
    expect(moderationNoticeKind(liftedNotice('bob', 'muted'))).toBe('confirmed');
  });

  it('is undefined for other notices, including look-alikes of them in what people say', () => {
    expect(moderationNoticeKind(joinedNotice('bob', 'lobby'))).toBeUndefined();
    expect(moderationNoticeKind(leftNotice('bob', 'lobby', 'kicked by alice: spam'))).toBeUndefined();
    expect(moderationNoticeKind('someone said alice muted you')).toBeUndefined();
    expect(moderationNoticeKind('your password was changed, or so they say')).toBeUndefined();
  });
});

describe('topic and replaced notices', () => {
  const name = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,15}$/);
  it('parseTopicNotice reads back every topicNotice, set or cleared', () => {
    fc.assert(
      fc.property(name, name, fc.string({ maxLength: 80 }), (by, room, topic) => {
        expect(parseTopicNotice(topicNotice(by, room, topic))).toEqual({ by, room, topic });
      }),
    );
  });

  it('parseTopicNotice is undefined for other notices', () => {
    expect(parseTopicNotice(joinedNotice('bob', 'lobby'))).toBeUndefined();
    expect(parseTopicNotice('they said bob set the topic of lobby: x')).toBeUndefined();
  });

  it('isReplacedNotice knows what the server writes and nothing else', () => {
    expect(isReplacedNotice(replacedNotice('Zoë'))).toBe(true);
    expect(isReplacedNotice('bob said you logged in as bob from another connection')).toBe(false);
  });
});
