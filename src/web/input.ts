import { COMMANDS, parseInput } from '../client/commands.js';
import {
  encodeBan,
  encodeBare,
  encodeHistoryRequest,
  encodeJoin,
  encodeKick,
  encodeModlog,
  encodeMute,
  encodeSay,
  encodeTopicRequest,
  encodeUnban,
  encodeUnmute,
  encodeWhisper,
} from '../protocol/encode.js';
import { nameKey } from '../protocol/text.js';
import { toMessage } from './wire.js';

// What a line typed in the message box does: the terminal client's
// /commands (parseInput), mapped to the frames to send or to something the
// page does itself. Pure.

/** Answers the page shows as a notice when they come back, rather than only updating a list. */
export type Asked = 'USERS' | 'ROOMS' | 'TOPIC';

export type Plan =
  | { kind: 'none' }
  /** `messages` are ready to send, one frame each. */
  | { kind: 'send'; messages: string[]; asked?: Asked; join?: string }
  /** A PING whose token the sender chooses, to time the round trip. */
  | { kind: 'ping' }
  /** Nothing is sent; `lines` are shown. `keep`: leave the text in the box to fix it. */
  | { kind: 'local'; level: 'info' | 'warn'; lines: string[]; keep: boolean }
  | { kind: 'password' }
  | { kind: 'quit' }
  | { kind: 'help' };

export interface InputContext {
  /** The room we are in, so `/join` to it says so instead of sending. */
  room: string;
}

/** The /help text: every command of the terminal client, and what the page adds. */
export function helpLines(): string[] {
  const rows: Array<[string, string]> = [
    ...COMMANDS.map((c): [string, string] => [c.usage, c.description]),
    ['//TEXT', "send TEXT starting with '/'"],
    ['Enter', 'send; Escape closes the panels; a click on a name starts a /msg'],
  ];
  const width = Math.max(...rows.map(([usage]) => usage.length));
  return rows.map(([usage, description]) => `${usage.padEnd(width)}  ${description}`);
}

function send(encoded: string[], extra: Omit<Extract<Plan, { kind: 'send' }>, 'kind' | 'messages'> = {}): Plan {
  const messages: string[] = [];
  for (const frame of encoded) {
    const out = toMessage(frame);
    if (!out.ok) return { kind: 'local', level: 'warn', lines: [out.reason], keep: true };
    messages.push(out.message);
  }
  return { kind: 'send', messages, ...extra };
}

/** The plan for one typed line. */
export function planInput(raw: string, context: InputContext): Plan {
  // A text box holds no line breaks; one that got there anyway must not become a second frame.
  const action = parseInput(raw.replace(/\r\n|[\r\n]/g, ' '));
  switch (action.kind) {
    case 'none':
      return { kind: 'none' };
    case 'invalid':
      return { kind: 'local', level: 'warn', lines: [action.message], keep: true };
    case 'help':
      return { kind: 'help' };
    case 'quit':
      return { kind: 'quit' };
    case 'password':
      return { kind: 'password' };
    case 'say':
      return send([encodeSay(action.text)]);
    case 'whisper':
      return send([encodeWhisper(action.to, action.text)]);
    case 'users':
      return send([encodeBare('USERS')], { asked: 'USERS' });
    case 'rooms':
      return send([encodeBare('ROOMS')], { asked: 'ROOMS' });
    case 'join':
      if (nameKey(action.room) === nameKey(context.room)) {
        return { kind: 'local', level: 'info', lines: [`you are already in ${context.room}`], keep: false };
      }
      return send([encodeJoin(action.room)], { join: action.room });
    case 'history':
      return send([encodeHistoryRequest(action.count)]);
    case 'topic':
      return action.topic === undefined ? send([encodeTopicRequest()], { asked: 'TOPIC' }) : send([encodeTopicRequest(action.topic)]);
    case 'ping':
      return { kind: 'ping' };
    case 'kick':
      return send([encodeKick(action.name, action.reason)]);
    case 'ban':
      return send([encodeBan(action.name, action.minutes, action.reason)]);
    case 'unban':
      return send([encodeUnban(action.name)]);
    case 'mute':
      return send([encodeMute(action.name, action.minutes, action.reason)]);
    case 'unmute':
      return send([encodeUnmute(action.name)]);
    case 'modlog':
      return send([encodeModlog(action.count)]);
  }
}
