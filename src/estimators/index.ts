export * from './returns.js';
export * from './importance.js';
export * from './vtrace.js';
