import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clientOnlyTags,
  encodeIrcLine,
  escapeTagValue,
  IRC_LINE_BYTES,
  IRC_CLIENT_TAG_BYTES,
  parseIrcLine,
  unescapeTagValue,
  type IrcParse,
} from '../../src/protocol/irc/message.js';

// Cases from the ircdocs parser tests (msg-split, msg-join) and the IRCv3
// message-tags spec, then the limits, then properties.

interface Plain {
  tags: Record<string, string>;
  source: string | undefined;
  command: string;
  params: string[];
}

/** The parse as plain data, or the failure reason, for readable expectations. */
function parse(line: string): Plain | string {
  const result: IrcParse = parseIrcLine(line);
  if (!result.ok) return result.reason;
  const { tags, source, command, params } = result.message;
  return { tags: Object.fromEntries(tags), source, command, params: [...params] };
}

const msg = (command: string, params: string[], source?: string, tags: Record<string, string> = {}): Plain => ({ tags, source, command, params });

describe('parseIrcLine: ircdocs msg-split vectors', () => {
  it.each<[string, Plain]>([
    ['foo bar baz asdf', msg('FOO', ['bar', 'baz', 'asdf'])],
    [':coolguy foo bar baz asdf', msg('FOO', ['bar', 'baz', 'asdf'], 'coolguy')],
    ['foo bar baz :asdf quux', msg('FOO', ['bar', 'baz', 'asdf quux'])],
    ['foo bar baz :', msg('FOO', ['bar', 'baz', ''])],
    ['foo bar baz ::asdf', msg('FOO', ['bar', 'baz', ':asdf'])],
    [':coolguy foo bar baz :asdf quux', msg('FOO', ['bar', 'baz', 'asdf quux'], 'coolguy')],
    [':coolguy foo bar baz :  asdf quux ', msg('FOO', ['bar', 'baz', '  asdf quux '], 'coolguy')],
    [':coolguy PRIVMSG bar :lol :) ', msg('PRIVMSG', ['bar', 'lol :) '], 'coolguy')],
    [':coolguy foo bar baz :  ', msg('FOO', ['bar', 'baz', '  '], 'coolguy')],
    ['@a=b;c=32;k;rt=ql7 foo', msg('FOO', [], undefined, { a: 'b', c: '32', k: '', rt: 'ql7' })],
    ['@a=b\\\\and\\nk;c=72\\s45;d=gh\\:764 foo', msg('FOO', [], undefined, { a: 'b\\and\nk', c: '72 45', d: 'gh;764' })],
    ['@c;h=;a=b :quux ab cd', msg('AB', ['cd'], 'quux', { c: '', h: '', a: 'b' })],
    [':src JOIN #chan', msg('JOIN', ['#chan'], 'src')],
    [':src JOIN :#chan', msg('JOIN', ['#chan'], 'src')],
    [':src AWAY', msg('AWAY', [], 'src')],
    [':src AWAY ', msg('AWAY', [], 'src')],
    [':cool\tguy foo bar baz', msg('FOO', ['bar', 'baz'], 'cool\tguy')],
    [':coolguy!ag@net\x035w\x03ork.admin PRIVMSG foo :bar baz', msg('PRIVMSG', ['foo', 'bar baz'], 'coolguy!ag@net\x035w\x03ork.admin')],
    [':coolguy!~ag@n\x02et\x0305w\x0fork.admin PRIVMSG foo :bar baz', msg('PRIVMSG', ['foo', 'bar baz'], 'coolguy!~ag@n\x02et\x0305w\x0fork.admin')],
    [
      '@tag1=value1;tag2;vendor1/tag3=value2;vendor2/tag4= :irc.example.com COMMAND param1 param2 :param3 param3',
      msg('COMMAND', ['param1', 'param2', 'param3 param3'], 'irc.example.com', { tag1: 'value1', tag2: '', 'vendor1/tag3': 'value2', 'vendor2/tag4': '' }),
    ],
    [':irc.example.com COMMAND param1 param2 :param3 param3', msg('COMMAND', ['param1', 'param2', 'param3 param3'], 'irc.example.com')],
    [
      '@tag1=value1;tag2;vendor1/tag3=value2;vendor2/tag4 COMMAND param1 param2 :param3 param3',
      msg('COMMAND', ['param1', 'param2', 'param3 param3'], undefined, { tag1: 'value1', tag2: '', 'vendor1/tag3': 'value2', 'vendor2/tag4': '' }),
    ],
    ['COMMAND', msg('COMMAND', [])],
    ['@foo=\\\\\\\\\\:\\\\s\\s\\r\\n COMMAND', msg('COMMAND', [], undefined, { foo: '\\\\;\\s \r\n' })],
    // "Broken" messages real servers send.
    [':gravel.mozilla.org 432  #momo :Erroneous Nickname: Illegal characters', msg('432', ['#momo', 'Erroneous Nickname: Illegal characters'], 'gravel.mozilla.org')],
    [':gravel.mozilla.org MODE #tckk +n ', msg('MODE', ['#tckk', '+n'], 'gravel.mozilla.org')],
    [':services.esper.net MODE #foo-bar +o foobar  ', msg('MODE', ['#foo-bar', '+o', 'foobar'], 'services.esper.net')],
    ['@tag1=value\\\\ntest COMMAND', msg('COMMAND', [], undefined, { tag1: 'value\\ntest' })],
    ['@tag1=value\\1 COMMAND', msg('COMMAND', [], undefined, { tag1: 'value1' })],
    ['@tag1=value1\\ COMMAND', msg('COMMAND', [], undefined, { tag1: 'value1' })],
    ['@tag1=1;tag2=3;tag3=4;tag1=5 COMMAND', msg('COMMAND', [], undefined, { tag1: '5', tag2: '3', tag3: '4' })],
    ['@tag1=1;tag2=3;tag3=4;tag1=5;vendor/tag2=8 COMMAND', msg('COMMAND', [], undefined, { tag1: '5', tag2: '3', tag3: '4', 'vendor/tag2': '8' })],
    [':SomeOp MODE #channel :+i', msg('MODE', ['#channel', '+i'], 'SomeOp')],
    [':SomeOp MODE #channel +oo SomeUser :AnotherUser', msg('MODE', ['#channel', '+oo', 'SomeUser', 'AnotherUser'], 'SomeOp')],
  ])('%j', (line, expected) => expect(parse(line)).toEqual(expected));
});

describe('parseIrcLine: more shapes', () => {
  it.each<[string, Plain]>([
    ['privmsg #a :hi', msg('PRIVMSG', ['#a', 'hi'])],
    ['   PING x', msg('PING', ['x'])],
    ['@a=b    :src    CMD   x', msg('CMD', ['x'], 'src', { a: 'b' })],
    ['@ CMD', msg('CMD', [])],
    ['@;;a=1;;=x CMD', msg('CMD', [], undefined, { a: '1' })],
    [': CMD x', msg('CMD', ['x'])],
    ['001 me :Welcome', msg('001', ['me', 'Welcome'])],
    ['PRIVMSG #a :a\0b', msg('PRIVMSG', ['#a', 'a\0b'])],
    ['PRIVMSG #小明 :héllo 😀', msg('PRIVMSG', ['#小明', 'héllo 😀'])],
    ['@k=a=b CMD', msg('CMD', [], undefined, { k: 'a=b' })],
  ])('%j', (line, expected) => expect(parse(line)).toEqual(expected));

  it.each<[string, string]>([
    ['', 'empty'],
    ['    ', 'empty'],
    ['@a=b', 'no-command'],
    ['@a=b   ', 'no-command'],
    [':src', 'no-command'],
    [':src   ', 'no-command'],
    ['@a=b :src', 'no-command'],
    ['PRIVMSG1 #a', 'bad-command'],
    ['12 x', 'bad-command'],
    ['1234 x', 'bad-command'],
    ['PRIV-MSG', 'bad-command'],
    ['ÄRGER x', 'bad-command'],
    ['\0PING', 'bad-command'],
    [':src :trailing', 'bad-command'],
    ['\tPING', 'bad-command'],
  ])('%j fails with %s', (line, reason) => expect(parse(line)).toBe(reason));

  it('keeps at most 15 params: after 14 middles the rest of the line is the 15th', () => {
    const fourteen = Array.from({ length: 14 }, (_, i) => `p${i + 1}`);
    expect(parse(`CMD ${fourteen.join(' ')} a b  c `)).toEqual(msg('CMD', [...fourteen, 'a b  c ']));
    expect(parse(`CMD ${fourteen.join(' ')} :a b`)).toEqual(msg('CMD', [...fourteen, 'a b']));
    expect(parse(`CMD ${fourteen.join(' ')}    `)).toEqual(msg('CMD', fourteen));
    expect(parse(`CMD ${fourteen.join(' ')} x`)).toEqual(msg('CMD', [...fourteen, 'x']));
    expect(parse(`CMD ${fourteen.slice(0, 13).join(' ')} :a b`)).toEqual(msg('CMD', [...fourteen.slice(0, 13), 'a b']));
  });
});

describe('parseIrcLine limits', () => {
  const CONTENT = IRC_LINE_BYTES - 2;

  it('the non-tag part may be 510 bytes, not 511, counted in UTF-8 bytes', () => {
    const head = 'PRIVMSG #a :';
    const fits = head + 'x'.repeat(CONTENT - head.length);
    expect(parse(fits)).toEqual(msg('PRIVMSG', ['#a', 'x'.repeat(CONTENT - head.length)]));
    expect(parse(`${fits}x`)).toBe('too-long');
    // 498 bytes of text as 166 three-byte characters fit; one more byte does not.
    const wide = head + '小'.repeat((CONTENT - head.length) / 3);
    expect(Buffer.byteLength(wide)).toBe(CONTENT);
    expect(parseIrcLine(wide).ok).toBe(true);
    expect(parse(`${wide}x`)).toBe('too-long');
    // Leading spaces count.
    expect(parse(` ${fits}`)).toBe('too-long');
  });

  it('the tag section, with its @ and space, may be 8191 bytes, not 8192', () => {
    const tagsOf = (bytes: number): string => `@k=${'v'.repeat(bytes - 4)} `; // '@k=' + value + ' '
    expect(Buffer.byteLength(tagsOf(IRC_CLIENT_TAG_BYTES))).toBe(IRC_CLIENT_TAG_BYTES);
    const rest = `PRIVMSG #a :${'x'.repeat(IRC_LINE_BYTES - 2 - 12)}`;
    const full = parseIrcLine(tagsOf(IRC_CLIENT_TAG_BYTES) + rest);
    expect(full.ok && full.message.tags.get('k')?.length).toBe(IRC_CLIENT_TAG_BYTES - 4);
    expect(parse(tagsOf(IRC_CLIENT_TAG_BYTES + 1) + rest)).toBe('tags-too-long');
    expect(parse(tagsOf(IRC_CLIENT_TAG_BYTES) + rest + 'x')).toBe('too-long');
    // Tags never count against the 510 bytes, nor the other way round.
    expect(parse(`${tagsOf(IRC_CLIENT_TAG_BYTES)}PING x`)).toEqual(msg('PING', ['x'], undefined, { k: 'v'.repeat(IRC_CLIENT_TAG_BYTES - 4) }));
    // Tags without a command are still measured first.
    expect(parse(tagsOf(IRC_CLIENT_TAG_BYTES + 1).trimEnd())).toBe('tags-too-long');
  });
});

describe('clientOnlyTags', () => {
  const keep = (v: string): string => v;
  it('keeps the + tags in order, escaped, and drops the server tags and bad keys', () => {
    const parsed = parseIrcLine('@+a=x\\:y;time=now;+b;+draft/reply=1\\s2;+bad_key=z;msgid=m PRIVMSG #c :t');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(clientOnlyTags(parsed.message.tags, keep)).toBe('+a=x\\:y;+b;+draft/reply=1\\s2');
  });
  it('passes each value through the guard before escaping it', () => {
    expect(clientOnlyTags(new Map([['+x', 'a\u001b[31m;b']]), (v) => v.replace(/\u001b/g, ''))).toBe('+x=a[31m\\:b');
  });
  it('is empty without client tags', () => {
    expect(clientOnlyTags(new Map([['time', 'x']]), keep)).toBe('');
  });
});

describe('tag value escaping', () => {
  it.each<[string, string]>([
    ['plain', 'plain'],
    ['a;b', 'a\\:b'],
    ['a b', 'a\\sb'],
    ['a\\b', 'a\\\\b'],
    ['a\rb\nc', 'a\\rb\\nc'],
    ['', ''],
    ['\\s', '\\\\s'],
  ])('%j ⇄ %j', (raw, escaped) => {
    expect(escapeTagValue(raw)).toBe(escaped);
    expect(unescapeTagValue(escaped)).toBe(raw);
  });

  it('unescaping drops a backslash before another character and a trailing lone one', () => {
    expect(unescapeTagValue('\\a\\b\\😀')).toBe('ab😀');
    expect(unescapeTagValue('x\\')).toBe('x');
    expect(unescapeTagValue('\\')).toBe('');
    expect(unescapeTagValue('\\\\\\')).toBe('\\');
  });

  it('NUL, which has no escape, becomes an escaped space', () => {
    expect(escapeTagValue('a\0b')).toBe('a\\sb');
  });

  it('escaping round-trips any value without NUL, and leaves nothing that ends a tag or a line', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/\0/g, '')), (value) => {
        const escaped = escapeTagValue(value);
        expect(escaped).not.toMatch(/[; \r\n\0]/);
        expect(unescapeTagValue(escaped)).toBe(value);
      }),
      { numRuns: 500 },
    );
  });
});

describe('encodeIrcLine', () => {
  it.each<[string, Parameters<typeof encodeIrcLine>[0], string]>([
    ['simple', { command: 'foo', params: ['bar', 'baz', 'asdf'] }, 'FOO bar baz asdf\r\n'],
    ['source', { source: 'coolguy', command: 'foo', params: ['bar', 'baz', 'asdf'] }, ':coolguy FOO bar baz asdf\r\n'],
    ['trailing with space', { command: 'foo', params: ['bar', 'baz', 'asdf quux'] }, 'FOO bar baz :asdf quux\r\n'],
    ['empty trailing', { command: 'foo', params: ['bar', 'baz', ''] }, 'FOO bar baz :\r\n'],
    ['trailing starting with :', { command: 'foo', params: ['bar', 'baz', ':asdf'] }, 'FOO bar baz ::asdf\r\n'],
    ['no params', { command: 'PING' }, 'PING\r\n'],
    ['numeric', { source: 'irc.example', command: '001', params: ['me', 'Welcome to pipechat'] }, ':irc.example 001 me :Welcome to pipechat\r\n'],
    ['tags from a record', { tags: { a: 'b', 'example.com/k': 'x y;z', '+typing': 'active' }, command: 'TAGMSG', params: ['#a'] }, '@a=b;example.com/k=x\\sy\\:z;+typing=active TAGMSG #a\r\n'],
    ['tags from a map, empty value as a bare key', { tags: new Map([['k', ''], ['t', '1']]), command: 'FOO' }, '@k;t=1 FOO\r\n'],
    ['empty tags', { tags: {}, command: 'FOO' }, 'FOO\r\n'],
    ['CR, LF and NUL become spaces', { command: 'PRIVMSG', params: ['#a', 'hi\r\nQUIT\0x'] }, 'PRIVMSG #a :hi  QUIT x\r\n'],
    ['a lone LF in the last param needs the colon it makes', { command: 'PRIVMSG', params: ['#a', 'a\nb'] }, 'PRIVMSG #a :a b\r\n'],
  ])('%s', (_, message, line) => expect(encodeIrcLine(message)).toBe(line));

  it('{ trailing: true } forces the colon on the last param only', () => {
    expect(encodeIrcLine({ command: 'PRIVMSG', params: ['#a', 'hi'] }, { trailing: true })).toBe('PRIVMSG #a :hi\r\n');
    expect(encodeIrcLine({ command: 'PRIVMSG', params: ['#a', 'hi'] }, { trailing: false })).toBe('PRIVMSG #a hi\r\n');
    expect(encodeIrcLine({ command: 'PING' }, { trailing: true })).toBe('PING\r\n');
  });

  it('whatever the content, the result is one line', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { maxLength: 3 }), (texts) => {
        const line = encodeIrcLine({ command: 'PRIVMSG', params: ['#a', texts.join('\r\n\0')] });
        expect(line.indexOf('\n')).toBe(line.length - 1);
        expect(line.indexOf('\r')).toBe(line.length - 2);
        expect(line).not.toContain('\0');
      }),
    );
  });

  it.each<[string, Parameters<typeof encodeIrcLine>[0]]>([
    ['empty middle', { command: 'FOO', params: ['', 'x'] }],
    ['middle with a space', { command: 'FOO', params: ['a b', 'x'] }],
    ['middle starting with :', { command: 'FOO', params: [':a', 'x'] }],
    ['middle that is only a line break', { command: 'FOO', params: ['\n', 'x'] }],
    ['16 params', { command: 'FOO', params: Array.from({ length: 16 }, (_, i) => `p${i}`) }],
    ['bad command', { command: 'FO O' }],
    ['empty command', { command: '' }],
    ['4-digit numeric', { command: '0001' }],
    ['source with a space', { source: 'a b', command: 'FOO' }],
    ['empty source', { source: '', command: 'FOO' }],
    ['source with LF', { source: 'a\nPING', command: 'FOO' }],
    ['tag key with a space', { tags: { 'a b': 'x' }, command: 'FOO' }],
    ['tag key with =', { tags: { 'a=b': 'x' }, command: 'FOO' }],
    ['empty tag key', { tags: { '': 'x' }, command: 'FOO' }],
  ])('%s is a TypeError', (_, message) => expect(() => encodeIrcLine(message)).toThrow(TypeError));

  it('15 params encode and parse back', () => {
    const params = [...Array.from({ length: 14 }, (_, i) => `p${i}`), 'last one'];
    expect(parse(encodeIrcLine({ command: 'FOO', params }).slice(0, -2))).toEqual(msg('FOO', params));
  });
});

describe('IRC message properties', () => {
  const anyString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 120 }),
    // Lone surrogates too.
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
    // Mostly IRC syntax, so the parser's branches are reached.
    fc.string({ unit: fc.constantFrom('@', ':', ' ', ';', '=', '\\', 'a', 'B', '1', '#', 's', '\0', '小'), maxLength: 60 }),
  );

  it('parseIrcLine never throws, and a message always has a valid command and at most 15 params', () => {
    fc.assert(
      fc.property(anyString, (line) => {
        const result = parseIrcLine(line);
        if (result.ok) {
          expect(result.message.command).toMatch(/^(?:[A-Z]+|[0-9]{3})$/);
          expect(result.message.params.length).toBeLessThanOrEqual(15);
          expect(result.message.source).not.toBe('');
        }
      }),
      { numRuns: 2000 },
    );
  });

  const noBreak = (s: string): boolean => !/[\r\n\0]/.test(s);
  const key = fc.stringMatching(/^\+?(?:[a-z0-9.-]{1,8}\/)?[A-Za-z0-9-]{1,8}$/);
  const value = fc.string({ unit: 'binary', maxLength: 20 }).map((s) => s.replace(/\0/g, ''));
  const source = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((s) => !/[ \r\n\0]/.test(s));
  const command = fc.oneof(fc.stringMatching(/^[A-Za-z]{1,10}$/), fc.stringMatching(/^[0-9]{3}$/));
  const middle = fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }).filter((s) => noBreak(s) && !s.includes(' ') && !s.startsWith(':'));
  const last = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: fc.constantFrom(' ', ':', 'a'), maxLength: 6 })).filter(noBreak);

  it('encode then parse gives back the tags, source, command and params', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, value), { maxLength: 5 }),
        fc.option(source, { nil: undefined }),
        command,
        fc.array(middle, { maxLength: 14 }),
        fc.option(last, { nil: undefined }),
        fc.boolean(),
        (tagList, src, cmd, middles, tail, trailing) => {
          const tags = new Map(tagList);
          const params = tail === undefined ? middles : [...middles, tail];
          const line = encodeIrcLine({ tags, ...(src === undefined ? {} : { source: src }), command: cmd, params }, { trailing });
          expect(line.endsWith('\r\n')).toBe(true);
          const result = parseIrcLine(line.slice(0, -2));
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(result.message.command).toBe(cmd.toUpperCase());
          expect(result.message.params).toEqual(params);
          expect(result.message.source).toBe(src);
          expect(new Map(result.message.tags)).toEqual(tags);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
