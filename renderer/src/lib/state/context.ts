/** Typed context shared by every view (one instance of each state class per window). */
import { getContext, setContext } from 'svelte';
import type { AppState } from './app.svelte.ts';
import type { DatasetState } from './dataset.svelte.ts';
import type { LiveState } from './live.svelte.ts';
import type { CompareState } from './compare.svelte.ts';
import type { StudyState } from './study.svelte.ts';

export interface Lab {
  app: AppState;
  dataset: DatasetState;
  live: LiveState;
  compare: CompareState;
  study: StudyState;
}

const KEY = Symbol('steerlab');

export function setLab(lab: Lab): void {
  setContext(KEY, lab);
}

export function getLab(): Lab {
  const lab = getContext<Lab | undefined>(KEY);
  if (!lab) throw new Error('getLab() outside the app root');
  return lab;
}
