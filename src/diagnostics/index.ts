/** Diagnostics: pure statistics and findings from measured numbers. */
export * from './stats.ts';
export * from './findings.ts';
export type { LayerDiag, HeadDiag, DiagnosticsSnapshot, Finding } from './types.ts';
