import { escapeUnsafe, nameKey } from '../protocol/text.js';
import { nameClass } from './colors.js';
import type { ChatMessage, ChatState, ConnectionView } from './state.js';
import { stampFor } from './time.js';
import { pageTitle } from './title.js';

// State → what the page shows, as plain data the DOM layer copies into
// elements with textContent. Every string that came from the network goes
// through escapeUnsafe here, so control characters, escape sequences and
// bidi overrides show as visible escapes (`\x1b[2J`) and markup stays text.

export type Part =
  | { kind: 'time'; text: string; iso: string; title: string }
  /** `name`: what a click puts after `/msg `. */
  | { kind: 'name'; text: string; className: string; name: string }
  | { kind: 'label'; text: string }
  | { kind: 'text'; text: string }
  /** One line of a multi-line text (/help): its own line on screen. */
  | { kind: 'line'; text: string };

export interface MessageView {
  /** Stable across renders: the DOM layer keeps one element per key. */
  key: string;
  className: string;
  parts: Part[];
}

export interface UserView {
  key: string;
  text: string;
  className: string;
  self: boolean;
}

export interface RoomView {
  key: string;
  text: string;
  count: string;
  current: boolean;
  /** What a click joins. */
  room: string;
}

export interface StatusView {
  state: ConnectionView['state'];
  text: string;
  /** Offer "retry now" (waiting) or "log in again" (closed). */
  action: 'retry' | 'relogin' | null;
}

const s = escapeUnsafe;

function name(raw: string, self: string): Part {
  const text = s(raw);
  return { kind: 'name', text, className: `name ${nameClass(raw, self)}`, name: text };
}

const text = (raw: string): Part => ({ kind: 'text', text: s(raw) });
const label = (raw: string): Part => ({ kind: 'label', text: raw });

/** One line of the message list. */
export function messageView(message: ChatMessage, self: string, now: number): MessageView {
  const stamp = stampFor(message.at, now);
  const time: Part = { kind: 'time', ...stamp };
  const key = `m${message.id}`;
  switch (message.kind) {
    case 'chat':
      return {
        key,
        className: ['msg', 'msg-chat', message.history ? 'msg-history' : '', message.self ? 'msg-self' : ''].filter(Boolean).join(' '),
        parts: [time, name(message.from, self), label(': '), text(message.text)],
      };
    case 'private-in':
      return { key, className: 'msg msg-private', parts: [time, label('private '), name(message.from, self), label(' → you: '), text(message.text)] };
    case 'private-out':
      return { key, className: 'msg msg-private msg-self', parts: [time, label('private you → '), name(message.to, self), label(': '), text(message.text)] };
    case 'notice': {
      const body: Part[] = message.block ? message.text.split('\n').map((line) => ({ kind: 'line', text: s(line) })) : [text(message.text)];
      return { key, className: `msg msg-notice msg-${message.level}${message.block ? ' msg-block' : ''}`, parts: [time, label('* '), ...body] };
    }
    case 'error':
      return { key, className: 'msg msg-error', parts: [time, label('! '), text(message.text), label(' '), { kind: 'label', text: `[${s(message.code)}]` }] };
    case 'room':
      return { key, className: 'msg msg-room', parts: [text(message.room)] };
  }
}

/** The message list, with the "new" divider before the first line that arrived unseen. */
export function messageList(state: ChatState, now: number): MessageView[] {
  const views: MessageView[] = [];
  for (const message of state.messages) {
    if (message.id === state.unreadFrom) views.push({ key: 'unread', className: 'msg msg-unread', parts: [label('new')] });
    views.push(messageView(message, state.name, now));
  }
  return views;
}

export function userList(state: ChatState): UserView[] {
  return state.users.map((user) => {
    const view = name(user, state.name) as Extract<Part, { kind: 'name' }>;
    return { key: nameKey(user), text: view.text, className: view.className, self: view.className.includes('name-self') };
  });
}

/** The rooms the server listed, and ours even when the list is older than our JOIN. */
export function roomList(state: ChatState): RoomView[] {
  const key = (room: string): string => nameKey(room);
  const rooms = state.rooms.some((r) => key(r.room) === key(state.room))
    ? state.rooms
    : [...state.rooms, { room: state.room, count: state.users.length }].sort((a, b) => key(a.room).localeCompare(key(b.room)));
  return rooms.map((r) => ({
    key: key(r.room),
    text: s(r.room),
    // Our room's people are kept current from notices; the server's list is as old as its last answer.
    count: String(key(r.room) === key(state.room) && state.users.length > 0 ? state.users.length : r.count),
    current: key(r.room) === key(state.room),
    room: s(r.room),
  }));
}

/** The connection state, always in words: connecting, online, offline (retrying in N s), closed (why). */
export function statusView(connection: ConnectionView, now: number): StatusView {
  switch (connection.state) {
    case 'idle':
      return { state: 'idle', text: 'not connected', action: null };
    case 'connecting':
      return { state: 'connecting', text: connection.attempt === 0 ? 'connecting…' : `reconnecting… (attempt ${connection.attempt})`, action: null };
    case 'online':
      return { state: 'online', text: 'online', action: null };
    case 'waiting': {
      const seconds = Math.max(0, Math.ceil((connection.retryAt - now) / 1000));
      return { state: 'waiting', text: `offline (${s(connection.error)}), retrying in ${seconds} s`, action: 'retry' };
    }
    case 'closed':
      return { state: 'closed', text: `closed: ${s(connection.reason)}`, action: 'relogin' };
  }
}

export interface HeaderView {
  title: string;
  room: string;
  topic: string;
  people: string;
}

export function headerView(state: ChatState): HeaderView {
  const n = state.users.length;
  return {
    title: pageTitle(state.unread),
    room: s(state.room),
    topic: s(state.topic),
    people: `${n} ${n === 1 ? 'person' : 'people'}`,
  };
}
