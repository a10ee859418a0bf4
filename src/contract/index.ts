/** The app contract: requests, push events, schemas, routing and the typed client. */
export * from './api.ts';
export * from './schemas.ts';
export * from './rpc.ts';
export * from './presets.ts';
export * from './studies.ts';
