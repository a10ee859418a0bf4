/**
 * The lab studies (src/studies) run against the lab's workspace: a study
 * that trains on a steering drive keeps the drive, its frame cache and its
 * runs there (unless the caller names another folder), so a second study
 * reuses them and the demo drive has one home.
 */
import { STUDIES, findStudy, runStudy, type StudyContext, type StudyEntry } from '../studies/index.ts';

/** True when the study's options include a workspace (it trains on a steering data set). */
export function studyUsesDrive(e: StudyEntry): boolean {
  const shape = (e.schema as unknown as { shape?: Record<string, unknown> }).shape;
  return Boolean(shape && 'workspace' in shape);
}

export interface LabStudies {
  readonly all: readonly StudyEntry[];
  find(name: string): StudyEntry | undefined;
  /** The options with the lab's workspace filled in for a study that trains on a drive. */
  withWorkspace(e: StudyEntry, options: Record<string, unknown>): Record<string, unknown>;
  /** Runs a study (quick preset first, then the options) and returns its measurements and conclusions. */
  run(name: string, options: Record<string, unknown>, ctx?: StudyContext & { quick?: boolean }): Promise<Record<string, unknown> & { conclusions: string[] }>;
}

export function createLabStudies(o: { workspace: string }): LabStudies {
  const withWorkspace = (e: StudyEntry, options: Record<string, unknown>): Record<string, unknown> =>
    studyUsesDrive(e) && options.workspace === undefined ? { ...options, workspace: o.workspace } : options;
  return {
    all: STUDIES,
    find: findStudy,
    withWorkspace,
    run(name, options, ctx = {}) {
      const e = findStudy(name);
      return runStudy(name, e ? withWorkspace(e, options) : options, ctx);
    },
  };
}
