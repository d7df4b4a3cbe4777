export * from './frames.js';
export * from './line-decoder.js';
export * from './parse.js';
export * from './encode.js';
export * from './errors.js';
export * from './text.js';
export * from './notices.js';
export * from './telnet.js';
