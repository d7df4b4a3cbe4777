export * from './message.js';
export * from './decoder.js';
export * from './text.js';
export * from './numerics.js';
