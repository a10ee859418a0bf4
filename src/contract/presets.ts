/**
 * Experiment presets: named grids over RunConfig paths. Studies add theirs
 * by appending to PRESETS (ids are unique).
 */
import type { Preset } from './schemas.ts';

export const PRESETS: Preset[] = [
  {
    id: 'output-head',
    name: 'Output-head study',
    description: 'Linear vs tanh output head, on raw degrees vs normalised targets: 4 runs with the same seed and split.',
    axes: { 'model.head': ['linear', 'tanh'], 'targets.kind': ['raw', 'normalized'] },
  },
  {
    id: 'single',
    name: 'Single run',
    description: 'One run with the configuration in the form.',
    axes: {},
  },
];
