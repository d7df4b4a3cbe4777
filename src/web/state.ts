import type { ServerFrame } from '../protocol/frames.js';
import { LOBBY } from '../protocol/frames.js';
import { noticeLevel, parsePresence, parseTopicNotice, type NoticeLevel } from '../protocol/notices.js';
import { nameKey } from '../protocol/text.js';
import type { Asked } from './input.js';

// The page's state and the one function that changes it: events (frames
// from the server, the connection's state, what the user did) in, a new
// state out. Pure: time comes with each event. Everything is kept as it
// arrived; escaping for display is the view's job (view.ts).

/** Lines kept on screen; older ones are dropped. */
export const MESSAGE_LIMIT = 1000;

export type { NoticeLevel };

export type ChatMessage =
  | { id: number; at: number; kind: 'chat'; room: string; from: string; text: string; history: boolean; self: boolean }
  | { id: number; at: number; kind: 'private-in'; from: string; text: string }
  | { id: number; at: number; kind: 'private-out'; to: string; text: string }
  /** `block`: lines (split on LF) of a multi-column text such as /help, shown in a fixed-width font. */
  | { id: number; at: number; kind: 'notice'; level: NoticeLevel; text: string; block: boolean }
  | { id: number; at: number; kind: 'error'; code: string; text: string }
  /** Where the lines of another room begin. */
  | { id: number; at: number; kind: 'room'; room: string };

export type ConnectionView =
  | { state: 'idle' }
  | { state: 'connecting'; attempt: number }
  | { state: 'online' }
  | { state: 'waiting'; attempt: number; retryAt: number; error: string }
  | { state: 'closed'; reason: string };

export interface RoomEntry {
  room: string;
  count: number;
}

/** From a login until we are in the room we want: after a reconnect we pass through the lobby first. */
export interface Entering {
  target: string;
  /** In the lobby on the way back to `target`: its lines are not shown. */
  passing: boolean;
  /** The lobby's login replay is over (our arrival there): the next history lines are the target's. */
  lobbyReplayed: boolean;
  /** Keys (see messageKey) of room lines already on screen: the replay after a reconnect skips them. */
  skip: readonly string[];
}

export interface ChatState {
  view: 'login' | 'chat';
  /** Our name, as the server spells it once it has said so. */
  name: string;
  room: string;
  topic: string;
  /** Who is in the room, sorted without regard to case. */
  users: readonly string[];
  rooms: readonly RoomEntry[];
  messages: readonly ChatMessage[];
  nextId: number;
  connection: ConnectionView;
  /** Shown next to the login form: why the login failed, or that we logged out. */
  loginMessage: { level: 'error' | 'info'; code: string; text: string } | null;
  hidden: boolean;
  /** Messages for us that arrived while the page was hidden. */
  unread: number;
  /** The id of the first of them: the "new" divider goes before it. */
  unreadFrom: number | null;
  entering: Entering | null;
  /** A JOIN we sent; `marked` once its room divider is shown. */
  pendingJoin: { room: string; marked: boolean } | null;
  /** Questions the user asked whose answers are shown as lines (the page's own only update the lists). */
  asked: Readonly<Record<Asked, number>>;
}

export type ChatEvent =
  | { type: 'login-started'; name: string }
  /** The connection's state changed (session.ts translates it). */
  | { type: 'connection'; connection: ConnectionView }
  | { type: 'logged-in'; welcome: string; reconnected: boolean }
  /** The server refused a LOGIN for good (a refusal worth retrying never gets here). */
  | { type: 'login-refused'; code: string; text: string }
  /** The first connection failed before any login: back to the form. */
  | { type: 'unreachable'; text: string }
  | { type: 'frame'; frame: ServerFrame }
  | { type: 'notice'; level: NoticeLevel; text: string; block?: boolean }
  | { type: 'join-sent'; room: string }
  | { type: 'asked'; what: Asked }
  | { type: 'visibility'; hidden: boolean }
  /** Back to the login form (after /quit, or a "log in again" after a close). */
  | { type: 'show-login'; note?: string };

export const initialState = (hidden = false): ChatState => ({
  view: 'login',
  name: '',
  room: LOBBY,
  topic: '',
  users: [],
  rooms: [],
  messages: [],
  nextId: 1,
  connection: { state: 'idle' },
  loginMessage: null,
  hidden,
  unread: 0,
  unreadFrom: null,
  entering: null,
  pendingJoin: null,
  asked: { USERS: 0, ROOMS: 0, TOPIC: 0 },
});

const same = (a: string, b: string): boolean => nameKey(a) === nameKey(b);

/** What makes two room lines the same line, for the replay after a reconnect. */
export const messageKey = (from: string, text: string): string => `${nameKey(from)}\u0000${text}`;

const byName = (a: string, b: string): number => nameKey(a).localeCompare(nameKey(b)) || a.localeCompare(b);

function withUser(users: readonly string[], name: string): readonly string[] {
  if (users.some((u) => same(u, name))) return users;
  return [...users, name].sort(byName);
}

function withoutUser(users: readonly string[], name: string): readonly string[] {
  return users.some((u) => same(u, name)) ? users.filter((u) => !same(u, name)) : users;
}

/** A line before it has its id and time (Omit over each case of the union). */
type NewMessage = ChatMessage extends infer M ? (M extends unknown ? Omit<M, 'id' | 'at'> : never) : never;

/** Appends a line; `unread` counts it for the title and the divider. */
function append(state: ChatState, message: NewMessage, at: number, unread = false): ChatState {
  const id = state.nextId;
  let messages = [...state.messages, { ...message, id, at } as ChatMessage];
  if (messages.length > MESSAGE_LIMIT) messages = messages.slice(messages.length - MESSAGE_LIMIT);
  let unreadFrom = state.unreadFrom;
  let count = state.unread;
  if (unread && state.hidden) {
    count += 1;
    if (unreadFrom === null) unreadFrom = id;
  }
  // The first unread line fell off the top: the divider stays at the top.
  if (unreadFrom !== null && unreadFrom < messages[0]!.id) unreadFrom = messages[0]!.id;
  return { ...state, messages, nextId: id + 1, unread: count, unreadFrom };
}

const notice = (state: ChatState, level: NoticeLevel, text: string, at: number, block = false): ChatState =>
  append(state, { kind: 'notice', level, text, block }, at);

/** A divider before the first line of a room we asked to JOIN. */
function markJoin(state: ChatState, at: number): ChatState {
  const pending = state.pendingJoin;
  if (pending === null || pending.marked) return state;
  return append({ ...state, pendingJoin: { ...pending, marked: true } }, { kind: 'room', room: pending.room }, at);
}

function decrement(state: ChatState, what: Asked): { state: ChatState; asked: boolean } {
  if (state.asked[what] === 0) return { state, asked: false };
  return { state: { ...state, asked: { ...state.asked, [what]: state.asked[what] - 1 } }, asked: true };
}

function onSystem(state: ChatState, text: string, at: number): ChatState {
  const presence = parsePresence(text);
  if (presence !== undefined) {
    const self = same(presence.name, state.name);
    const entering = state.entering;
    if (self && presence.event === 'joined') {
      if (entering?.passing && !same(presence.room, entering.target)) {
        // The end of the lobby's replay on the way back to our room: its JOIN's lines come next.
        return { ...state, entering: { ...entering, lobbyReplayed: true } };
      }
      const marked = markJoin(state, at);
      const next: ChatState = {
        ...marked,
        name: presence.name,
        room: presence.room,
        topic: same(presence.room, state.room) ? state.topic : '',
        users: [presence.name],
        entering: null,
        pendingJoin: null,
      };
      return notice(next, 'info', text, at);
    }
    // Lines of the lobby we only pass through are not shown.
    if (entering?.passing && !same(presence.room, entering.target)) return state;
    if (same(presence.room, state.room)) {
      const users = presence.event === 'joined' ? withUser(state.users, presence.name) : withoutUser(state.users, presence.name);
      return notice({ ...state, users }, 'info', text, at);
    }
    return notice(state, 'info', text, at);
  }
  let next = state;
  if (text.startsWith('you are already in ')) next = { ...next, pendingJoin: null };
  const topic = parseTopicNotice(text);
  if (topic !== undefined && same(topic.room, state.room)) next = { ...next, topic: topic.topic };
  return notice(next, noticeLevel(text), text, at);
}

function onHistory(state: ChatState, frame: Extract<ServerFrame, { type: 'HISTORY' }>, at: number): ChatState {
  let entering = state.entering;
  if (entering?.passing) {
    if (!entering.lobbyReplayed) return state;
    // The first line of our room's replay: from here on its lines are shown.
    entering = { ...entering, passing: false };
    state = { ...state, entering };
  }
  if (entering !== null) {
    const key = messageKey(frame.from, frame.message);
    const index = entering.skip.indexOf(key);
    if (index !== -1) {
      // Already on screen from before the connection was lost.
      const skip = [...entering.skip.slice(0, index), ...entering.skip.slice(index + 1)];
      return { ...state, entering: { ...entering, skip } };
    }
  }
  const marked = markJoin(state, at);
  const room = state.pendingJoin?.room ?? entering?.target ?? state.room;
  const time = Date.parse(frame.time);
  return append(marked, {
    kind: 'chat',
    room,
    from: frame.from,
    text: frame.message,
    history: true,
    self: same(frame.from, state.name),
  }, time);
}

function onFrame(state: ChatState, frame: ServerFrame, at: number): ChatState {
  switch (frame.type) {
    case 'SYSTEM':
      return onSystem(state, frame.text, at);
    case 'HISTORY':
      return onHistory(state, frame, at);
    case 'TEXT': {
      // The lobby's live lines while we pass through it on the way back to our room.
      if (state.entering?.passing) return state;
      const self = same(frame.from, state.name);
      const next = { ...state, users: withUser(state.users, frame.from) };
      return append(next, { kind: 'chat', room: state.room, from: frame.from, text: frame.message, history: false, self }, at, !self);
    }
    case 'PRIVATE':
      return append(state, { kind: 'private-in', from: frame.from, text: frame.message }, at, true);
    case 'SENT':
      return append(state, { kind: 'private-out', to: frame.to, text: frame.message }, at);
    case 'USERS': {
      const users = [...new Map(frame.names.map((n) => [nameKey(n), n])).values()].sort(byName);
      const { state: next, asked } = decrement({ ...state, users }, 'USERS');
      if (!asked) return next;
      const who = frame.count === 1 ? 'person' : 'people';
      return notice(next, 'info', `${frame.count} ${who} in ${state.room}: ${users.join(', ')}`, at);
    }
    case 'ROOMS': {
      const { state: next, asked } = decrement({ ...state, rooms: frame.rooms }, 'ROOMS');
      if (!asked) return next;
      const list = frame.rooms.map((r) => `${r.room} (${r.count})`).join(', ');
      return notice(next, 'info', frame.rooms.length === 0 ? 'no rooms' : `rooms: ${list}`, at);
    }
    case 'TOPIC': {
      const mine = same(frame.room, state.room);
      const { state: next, asked } = decrement(mine ? { ...state, topic: frame.topic } : state, 'TOPIC');
      if (!asked) return next;
      return notice(next, 'info', frame.topic === '' ? `${frame.room} has no topic` : `topic of ${frame.room}: ${frame.topic}`, at);
    }
    case 'PONG':
      // Tokens starting with '~' are the page's own (heartbeat, /ping): session.ts reports those.
      return frame.token.startsWith('~') ? state : notice(state, 'info', `pong ${frame.token}`, at);
    case 'STATS':
      return notice(state, 'info', `stats: ${Object.entries(frame.stats).map(([k, v]) => `${k}=${v}`).join(' ')}`, at);
    case 'SUCCESS':
      return notice(state, 'ok', frame.text, at);
    case 'ERROR': {
      let next: ChatState = { ...state, pendingJoin: null };
      const entering = state.entering;
      if (entering !== null && entering.lobbyReplayed && !same(entering.target, LOBBY)) {
        // The JOIN back to our room was refused (a mute, say): we stay where the server put us.
        next = notice({ ...next, entering: null, room: LOBBY, users: [state.name] }, 'warn', `could not get back into ${entering.target}; you are in ${LOBBY}`, at);
      }
      return append(next, { kind: 'error', code: frame.code, text: frame.text }, at);
    }
  }
}

/** Lines of `room` on screen, as keys: what a replay after a reconnect need not show again. */
function onScreen(state: ChatState, room: string): string[] {
  return state.messages
    .filter((m): m is Extract<ChatMessage, { kind: 'chat' }> => m.kind === 'chat' && same(m.room, room))
    .slice(-200)
    .map((m) => messageKey(m.from, m.text));
}

export function reduce(state: ChatState, event: ChatEvent, now: number): ChatState {
  switch (event.type) {
    case 'login-started':
      return { ...state, name: event.name, loginMessage: null };
    case 'connection':
      return { ...state, connection: event.connection };
    case 'logged-in': {
      if (!event.reconnected) {
        // A new login starts a new page: nothing of an earlier one is kept.
        const fresh: ChatState = {
          ...initialState(state.hidden),
          name: state.name,
          view: 'chat',
          connection: { state: 'online' },
          entering: { target: LOBBY, passing: false, lobbyReplayed: false, skip: [] },
        };
        return notice(fresh, 'ok', event.welcome, now);
      }
      const target = state.room;
      const passing = !same(target, LOBBY);
      const entering: Entering = { target, passing, lobbyReplayed: false, skip: onScreen(state, target) };
      const next: ChatState = { ...state, connection: { state: 'online' }, entering, pendingJoin: null, asked: { USERS: 0, ROOMS: 0, TOPIC: 0 } };
      return notice(next, 'ok', `reconnected as ${state.name}`, now);
    }
    case 'login-refused':
      if (state.view === 'login') return { ...state, loginMessage: { level: 'error', code: event.code, text: event.text } };
      return append(state, { kind: 'error', code: event.code, text: `the server refused the login: ${event.text}` }, now);
    case 'unreachable':
      return { ...state, view: 'login', loginMessage: { level: 'error', code: '', text: event.text } };
    case 'frame':
      return onFrame(state, event.frame, now);
    case 'notice':
      return notice(state, event.level, event.text, now, event.block ?? false);
    case 'join-sent':
      return { ...state, pendingJoin: { room: event.room, marked: false } };
    case 'asked':
      return { ...state, asked: { ...state.asked, [event.what]: state.asked[event.what] + 1 } };
    case 'visibility':
      if (event.hidden === state.hidden) return state;
      // Hidden again: the next unread line gets the divider. Shown: the count is read, the divider stays.
      return event.hidden ? { ...state, hidden: true, unread: 0, unreadFrom: null } : { ...state, hidden: false, unread: 0 };
    case 'show-login':
      return {
        ...initialState(state.hidden),
        name: state.name,
        loginMessage: event.note === undefined ? null : { level: 'info', code: '', text: event.note },
      };
  }
}
