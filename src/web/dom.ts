import type { MessageView, Part, RoomView, StatusView, UserView } from './view.js';

// View models → elements. Text goes in with textContent only, never as
// markup; colours are classes (the CSP allows no inline styles).

export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`#${id} is missing from index.html`);
  return element;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className !== '') node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function partElement(part: Part): HTMLElement {
  switch (part.kind) {
    case 'time': {
      const time = element('time', 'msg-time', part.text);
      if (part.iso !== '') time.dateTime = part.iso;
      time.title = part.title;
      return time;
    }
    case 'name': {
      // <bdi>: a right-to-left name cannot reorder the line around it.
      const name = element('bdi', part.className, part.text);
      name.dataset['name'] = part.name;
      return name;
    }
    case 'label':
      return element('span', 'msg-label', part.text);
    case 'text':
    case 'line': {
      const text = element('span', part.kind === 'line' ? 'msg-text msg-line' : 'msg-text', part.text);
      text.dir = 'auto';
      return text;
    }
  }
}

function messageElement(view: MessageView): HTMLElement {
  const item = element('li', view.className);
  if (view.key === 'unread') {
    item.id = 'unread-marker';
    item.setAttribute('role', 'separator');
  }
  for (const part of view.parts) item.append(partElement(part));
  return item;
}

function userElement(view: UserView): HTMLElement {
  const item = element('li', '');
  const button = element('button', `user ${view.className}`, view.text);
  button.type = 'button';
  button.dataset['name'] = view.text;
  button.title = view.self ? 'you' : `send ${view.text} a private message`;
  if (view.self) button.append(element('span', 'you', ' (you)'));
  item.append(button);
  return item;
}

function roomElement(view: RoomView): HTMLElement {
  const item = element('li', '');
  const button = element('button', 'room');
  button.type = 'button';
  button.dataset['room'] = view.room;
  const name = element('bdi', 'room-label', view.text);
  button.append(name, element('span', 'count', view.count));
  button.setAttribute('aria-label', `${view.text}, ${view.count} ${view.count === '1' ? 'person' : 'people'}${view.current ? ', you are here' : ''}`);
  if (view.current) button.setAttribute('aria-current', 'true');
  item.append(button);
  return item;
}

/**
 * Keeps `parent`'s children in step with a keyed list: an element per key,
 * built once and rebuilt only when its view changed, so long lists cost
 * little and a focused button keeps the focus.
 */
export function keyedList<T extends { key: string }>(parent: HTMLElement, build: (view: T) => HTMLElement): (views: readonly T[]) => void {
  let shown = new Map<string, { node: HTMLElement; signature: string }>();
  return (views) => {
    const next = new Map<string, { node: HTMLElement; signature: string }>();
    for (const view of views) {
      const signature = JSON.stringify(view);
      const old = shown.get(view.key);
      if (old !== undefined && old.signature === signature) {
        next.set(view.key, old);
        continue;
      }
      const node = build(view);
      if (old !== undefined && old.node.contains(document.activeElement)) {
        old.node.replaceWith(node);
        node.querySelector<HTMLElement>('button, [tabindex]')?.focus();
      }
      next.set(view.key, { node, signature });
    }
    for (const [key, { node }] of shown) if (next.get(key)?.node !== node) node.remove();
    let cursor = parent.firstElementChild;
    for (const { node } of next.values()) {
      if (node === cursor) {
        cursor = cursor.nextElementSibling;
        continue;
      }
      parent.insertBefore(node, cursor);
    }
    shown = next;
  };
}

export const messageList = (parent: HTMLElement): ((views: readonly MessageView[]) => void) => keyedList(parent, messageElement);
export const userList = (parent: HTMLElement): ((views: readonly UserView[]) => void) => keyedList(parent, userElement);
export const roomList = (parent: HTMLElement): ((views: readonly RoomView[]) => void) => keyedList(parent, roomElement);

export function showStatus(view: StatusView, text: HTMLElement, retry: HTMLButtonElement, relogin: HTMLButtonElement): void {
  if (text.textContent !== view.text) text.textContent = view.text;
  text.dataset['state'] = view.state;
  retry.hidden = view.action !== 'retry';
  relogin.hidden = view.action !== 'relogin';
}

/** Whether a scrolled list shows its end (within a line), so new lines should keep it there. */
export function atBottom(list: HTMLElement): boolean {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 40;
}

export function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}
