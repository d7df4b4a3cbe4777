import { atBottom, byId, messageList, roomList, setText, showStatus, userList } from './dom.js';
import type { OpenSocket } from './connection.js';
import { ChatSession } from './session.js';
import type { ChatState } from './state.js';
import type { Timers } from './timers.js';
import { headerView, messageList as messageViews, roomList as roomViews, statusView, userList as userViews } from './view.js';

// The page's entry point: the browser's WebSocket, timers and events wired
// to a ChatSession, and its state drawn into the page.

const timers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => ({ id: window.setTimeout(fn, ms) }),
  clearTimeout: (handle) => {
    if (handle !== undefined) window.clearTimeout(handle.id as number);
  },
};

const socketUrl = (): string => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

const openSocket: OpenSocket = (handlers) => {
  let socket: WebSocket;
  try {
    socket = new WebSocket(socketUrl());
  } catch (error) {
    window.setTimeout(() => handlers.close(1006, error instanceof Error ? error.message : ''), 0);
    return { send: () => undefined, close: () => undefined };
  }
  socket.onopen = () => handlers.open();
  socket.onmessage = (event: MessageEvent<unknown>) => {
    // Frames are text; anything else is not ours to show.
    if (typeof event.data === 'string') handlers.message(event.data);
  };
  socket.onclose = (event) => handlers.close(event.code, event.reason);
  return {
    send: (message) => socket.send(message),
    close: () => socket.close(1000),
  };
};

const ui = {
  loginView: byId('login-view', HTMLElement),
  loginForm: byId('login-form', HTMLFormElement),
  loginName: byId('login-name', HTMLInputElement),
  loginPassword: byId('login-password', HTMLInputElement),
  loginSubmit: byId('login-submit', HTMLButtonElement),
  loginMessage: byId('login-message', HTMLElement),
  chatView: byId('chat-view', HTMLElement),
  where: byId('where', HTMLElement),
  roomName: byId('room-name', HTMLElement),
  roomTopic: byId('room-topic', HTMLElement),
  status: byId('connection-state', HTMLElement),
  retry: byId('retry-now', HTMLButtonElement),
  relogin: byId('relogin', HTMLButtonElement),
  panelToggle: byId('panel-toggle', HTMLButtonElement),
  side: byId('side', HTMLElement),
  rooms: byId('room-list', HTMLElement),
  joinForm: byId('join-form', HTMLFormElement),
  joinRoom: byId('join-room', HTMLInputElement),
  users: byId('user-list', HTMLElement),
  userCount: byId('user-count', HTMLElement),
  messages: byId('message-list', HTMLElement),
  messageForm: byId('message-form', HTMLFormElement),
  input: byId('message-input', HTMLInputElement),
  passwordDialog: byId('password-dialog', HTMLDialogElement),
  passwordForm: byId('password-form', HTMLFormElement),
  passwordOld: byId('password-old', HTMLInputElement),
  passwordNew: byId('password-new', HTMLInputElement),
  passwordAgain: byId('password-again', HTMLInputElement),
  passwordMessage: byId('password-message', HTMLElement),
  passwordCancel: byId('password-cancel', HTMLButtonElement),
};

const drawMessages = messageList(ui.messages);
const drawUsers = userList(ui.users);
const drawRooms = roomList(ui.rooms);

let scheduled = false;
let lastView: ChatState['view'] | undefined;

function draw(): void {
  scheduled = false;
  const state = session.state;
  const now = timers.now();
  const header = headerView(state);
  if (document.title !== header.title) document.title = header.title;
  showStatus(statusView(state.connection, now), ui.status, ui.retry, ui.relogin);

  const chatting = state.view === 'chat';
  ui.loginView.hidden = chatting;
  ui.chatView.hidden = !chatting;
  ui.where.hidden = !chatting;
  ui.panelToggle.hidden = !chatting;
  const busy = !chatting && state.connection.state === 'connecting';
  ui.loginSubmit.disabled = busy;
  const login = state.loginMessage;
  setText(ui.loginMessage, busy ? 'connecting…' : login === null ? '' : login.code === '' ? login.text : `${login.text} [${login.code}]`);
  ui.loginMessage.className = `login-message${login?.level === 'error' && !busy ? ' error' : ''}`;
  if (state.view !== lastView) {
    lastView = state.view;
    if (chatting) {
      // The session holds the password for reconnecting; the page keeps no copy of it.
      ui.loginPassword.value = '';
      ui.input.focus();
    } else {
      if (ui.loginName.value === '') ui.loginName.value = state.name;
      ui.loginName.focus();
    }
  }
  if (!chatting) return;

  setText(ui.roomName, header.room);
  setText(ui.roomTopic, header.topic);
  setText(ui.userCount, `(${header.people})`);
  const stick = atBottom(ui.messages);
  drawMessages(messageViews(state, now));
  if (stick) ui.messages.scrollTop = ui.messages.scrollHeight;
  drawUsers(userViews(state));
  drawRooms(roomViews(state));
}

/** One draw per burst of changes; animation frames stop in a hidden tab, where the title must still change. */
function redraw(): void {
  if (scheduled) return;
  scheduled = true;
  if (document.hidden) window.setTimeout(draw, 0);
  else window.requestAnimationFrame(draw);
}

const session = new ChatSession({
  open: openSocket,
  timers,
  random: Math.random,
  hidden: document.hidden,
  onChange: redraw,
});

// The countdown of "retrying in N s".
window.setInterval(() => {
  if (session.state.connection.state === 'waiting') redraw();
}, 1000);

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  session.login(ui.loginName.value, ui.loginPassword.value);
});

ui.messageForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const result = session.submit(ui.input.value);
  if (result === 'password') openPasswordDialog();
  if (result !== 'keep') ui.input.value = '';
  // Whoever just sent wants to see the answer.
  ui.messages.scrollTop = ui.messages.scrollHeight;
});

/** `/msg NAME ` in the box, ready for the text. */
function startPrivate(name: string): void {
  ui.input.value = `/msg ${name} `;
  closePanel();
  ui.input.focus();
  ui.input.setSelectionRange(ui.input.value.length, ui.input.value.length);
}

ui.users.addEventListener('click', (event) => {
  const button = (event.target as Element).closest<HTMLElement>('button[data-name]');
  const name = button?.dataset['name'];
  if (name !== undefined && !button!.classList.contains('name-self')) startPrivate(name);
});

ui.messages.addEventListener('click', (event) => {
  const name = (event.target as Element).closest<HTMLElement>('.name[data-name]');
  const value = name?.dataset['name'];
  // Not while selecting text to copy.
  if (value !== undefined && !name!.classList.contains('name-self') && window.getSelection()?.isCollapsed !== false) startPrivate(value);
});

ui.rooms.addEventListener('click', (event) => {
  const room = (event.target as Element).closest<HTMLElement>('button[data-room]')?.dataset['room'];
  if (room === undefined) return;
  session.join(room);
  closePanel();
  ui.input.focus();
});

ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = ui.joinRoom.value.trim();
  if (room === '') return;
  session.join(room);
  ui.joinRoom.value = '';
  closePanel();
  ui.input.focus();
});

ui.retry.addEventListener('click', () => session.retryNow());
ui.relogin.addEventListener('click', () => session.backToLogin());

// The side panel is a toggle on narrow screens (style.css shows it beside the messages on wide ones).
function setPanel(open: boolean): void {
  ui.side.classList.toggle('open', open);
  ui.panelToggle.setAttribute('aria-expanded', String(open));
}

function closePanel(): void {
  if (!ui.side.classList.contains('open')) return;
  setPanel(false);
}

ui.panelToggle.addEventListener('click', () => {
  const open = !ui.side.classList.contains('open');
  setPanel(open);
  if (open) ui.side.querySelector<HTMLElement>('button, input')?.focus();
});

document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || !ui.side.classList.contains('open')) return;
  setPanel(false);
  ui.panelToggle.focus();
});

function openPasswordDialog(): void {
  ui.passwordForm.reset();
  setText(ui.passwordMessage, '');
  ui.passwordDialog.showModal();
  ui.passwordOld.focus();
}

ui.passwordForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const problem = session.changePassword(ui.passwordOld.value, ui.passwordNew.value, ui.passwordAgain.value);
  if (problem !== undefined) {
    setText(ui.passwordMessage, problem);
    return;
  }
  ui.passwordForm.reset();
  ui.passwordDialog.close();
});

ui.passwordCancel.addEventListener('click', () => ui.passwordDialog.close());
// Passwords do not stay in the page once the dialog is gone.
ui.passwordDialog.addEventListener('close', () => {
  ui.passwordForm.reset();
  ui.input.focus();
});

document.addEventListener('visibilitychange', () => {
  session.setHidden(document.hidden);
  if (!document.hidden) session.focused();
});
window.addEventListener('focus', () => session.focused());
window.addEventListener('online', () => session.networkBack());
window.addEventListener('pagehide', () => session.logout());

redraw();
