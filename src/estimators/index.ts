export * from './returns.js';
export * from './importance.js';
