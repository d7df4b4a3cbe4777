// The document title: the unread count in front, so it shows on the tab.

export const BASE_TITLE = 'pipechat';

export function pageTitle(unread: number, base = BASE_TITLE): string {
  return unread > 0 ? `(${unread > 999 ? '999+' : unread}) ${base}` : base;
}
