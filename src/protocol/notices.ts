// The wording of join and leave notices (`SYSTEM|…`), written by the server
// and read by clients to keep their list of online names current. One module
// for both sides, so the two cannot drift apart.

export type PresenceNotice = { name: string; event: 'joined' | 'left'; room: string };

export const joinedNotice = (name: string, room: string): string => `${name} joined ${room}`;

/** `why` is shown in parentheses: the reason a session left without LOGOUT or JOIN. */
export const leftNotice = (name: string, room: string, why?: string): string =>
  why === undefined ? `${name} left ${room}` : `${name} left ${room} (${why})`;

const PRESENCE = /^(\S+) (joined|left) (\S+)/u;

/** Reads `<name> joined <room>` and `<name> left <room>…` notices; undefined for any other text. */
export function parsePresence(text: string): PresenceNotice | undefined {
  const match = PRESENCE.exec(text);
  if (match === null) return undefined;
  // Room names cannot hold ',', ';', ':', '…' or brackets: anything like that is the sentence going on.
  const room = match[3]!.replace(/[,;:…()[\]!?]+.*$/u, '');
  if (room === '') return undefined;
  return { name: match[1]!, event: match[2] as 'joined' | 'left', room };
}

/** What a registered name's older connection is told when the name logs in elsewhere; the server then closes it. */
export const replacedNotice = (name: string): string => `you logged in as ${name} from another connection; this one is closed`;

const REPLACED = /^you logged in as \S+ from another connection/u;

/** Whether `text` is a replacedNotice (a client must not log in again after it: the two would take turns). */
export const isReplacedNotice = (text: string): boolean => REPLACED.test(text);

export type TopicNotice = { by: string; room: string; topic: string };

/** What a room is told when its topic changes; an empty topic is a cleared one. */
export const topicNotice = (by: string, room: string, topic: string): string =>
  topic === '' ? `${by} cleared the topic of ${room}` : `${by} set the topic of ${room}: ${topic}`;

const TOPIC_SET = /^(\S+) set the topic of ([^\s:]+): ([\s\S]*)$/u;
const TOPIC_CLEARED = /^(\S+) cleared the topic of (\S+)$/u;

/** Reads a topicNotice; undefined for any other text. */
export function parseTopicNotice(text: string): TopicNotice | undefined {
  const set = TOPIC_SET.exec(text);
  if (set !== null) return { by: set[1]!, room: set[2]!, topic: set[3]! };
  const cleared = TOPIC_CLEARED.exec(text);
  return cleared === null ? undefined : { by: cleared[1]!, room: cleared[2]!, topic: '' };
}

/** When a sanction ends, as notices and errors say it: `until 2026-12-02T03:10:00Z`, or `until lifted`. */
export function untilText(until: number): string {
  return until === 0 ? 'until lifted' : `until ${new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

export type Removal = { action: 'kicked' | 'banned'; by: string };

/** What a kicked or banned user is told before the server closes the connection. */
export function removedNotice(action: Removal['action'], by: string, reason: string, until?: number): string {
  const when = action === 'banned' && until !== undefined ? ` ${untilText(until)}` : '';
  return `you were ${action} by ${by}${when}${reason === '' ? '' : `: ${reason}`}`;
}

const REMOVED = /^you were (kicked|banned) by ([^\s:]+)/u;

/** Reads a removedNotice (a client does not reconnect after one); undefined for any other text. */
export function parseRemoved(text: string): Removal | undefined {
  const match = REMOVED.exec(text);
  return match === null ? undefined : { action: match[1] as Removal['action'], by: match[2]! };
}

const because = (reason: string): string => (reason === '' ? '' : `: ${reason}`);

/** What a muted user is told, and what lifts it. */
export const mutedNotice = (by: string, until: number, reason: string): string => `${by} muted you ${untilText(until)}${because(reason)}; you can still read`;
export const unmutedNotice = (by: string): string => `${by} unmuted you; you can talk again`;

/** The answer to a PASSWORD change that went through. */
export const PASSWORD_CHANGED = 'your password was changed; use the new one from now on';

/** An operator's confirmation: `you kicked bob: spam`, `you banned bob until lifted`. */
export const doneNotice = (verb: 'kicked' | 'banned' | 'muted', name: string, span: string, reason: string): string =>
  `you ${verb} ${name}${span === '' ? '' : ` ${span}`}${because(reason)}`;
/** An operator's confirmation of UNBAN and UNMUTE. */
export const liftedNotice = (name: string, past: 'banned' | 'muted'): string => `${name} is no longer ${past}`;

export type ModerationNoticeKind = 'removed' | 'muted' | 'unmuted' | 'password-changed' | 'confirmed';

/** Which of the notices above `text` is (for a client to show them apart); undefined for any other text. */
export function moderationNoticeKind(text: string): ModerationNoticeKind | undefined {
  if (parseRemoved(text) !== undefined) return 'removed';
  if (text === PASSWORD_CHANGED) return 'password-changed';
  if (/^[^\s:]+ muted you until /u.test(text)) return 'muted';
  if (/^[^\s:]+ unmuted you; /u.test(text)) return 'unmuted';
  if (/^you (?:kicked|banned|muted) \S/u.test(text) || /^\S+ is no longer (?:banned|muted)$/u.test(text)) return 'confirmed';
  return undefined;
}

export type NoticeLevel = 'info' | 'ok' | 'warn' | 'error';

/**
 * How a client shows a server notice: most are plain; what an operator or
 * another login did to us stands out (removed or replaced: error, muted:
 * warn, unmuted: ok), and so do the confirmations of what we did (ok).
 */
export function noticeLevel(text: string): NoticeLevel {
  if (isReplacedNotice(text)) return 'error';
  switch (moderationNoticeKind(text)) {
    case 'removed':
      return 'error';
    case 'muted':
      return 'warn';
    case 'unmuted':
    case 'password-changed':
    case 'confirmed':
      return 'ok';
    default:
      return 'info';
  }
}
