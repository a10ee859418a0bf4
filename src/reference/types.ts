/**
 * What the PyTorch reference reports: progress events while it runs and
 * <experimentDir>/reference.json when it is done (a zod schema, so readers
 * such as `compare --reference` validate it).
 */
import { z } from 'zod';
import type { PythonEvent } from './python.ts';

/** Progress of runReference: decoding, the frame dump, the pre-flight checks, then reference.py's own events. */
export type ReferenceEvent =
  | { type: 'decode'; done: number; total: number; etaS: number | null }
  | { type: 'frames'; done: number; total: number }
  | { type: 'checked'; augmentationSamples: number; forwardRuns: number; python: string }
  | { type: 'python'; event: PythonEvent };

export const ReferenceRun = z.object({
  runId: z.string(),
  /** The lab run's name in the experiment (its grid cell). */
  name: z.string(),
  head: z.string(),
  targets: z.string(),
  seed: z.number().int(),
  /** Validation metrics of PyTorch's last epoch, in degrees, computed by src/targets/metrics.ts on the lab's true angles. */
  valMaeDeg: z.number().nullable(),
  valRmseDeg: z.number().nullable(),
  /** Validation samples with a finite true angle. */
  valN: z.number().int(),
  /** reference.py's own MAE in degrees (a cross-check of the alignment of predictions and angles). */
  pythonValMaeDeg: z.number().nullable(),
  /** Mean training loss of each epoch, in target units squared. */
  trainLossPerEpoch: z.array(z.number().nullable()),
  /** The whole run in PyTorch (model build, training, validation), seconds. */
  wallTimeS: z.number(),
  /** Training samples per second (validation excluded). */
  samplesPerS: z.number(),
});
export type ReferenceRun = z.infer<typeof ReferenceRun>;

export const ReferenceReport = z.object({
  engine: z.literal('pytorch'),
  torchVersion: z.string(),
  threads: z.number().int(),
  cpu: z.string(),
  experimentId: z.string(),
  createdAt: z.string(),
  runs: z.array(ReferenceRun),
  /** Runs of the experiment that could not be reproduced, and why. */
  skipped: z.array(z.object({ runId: z.string().nullable(), name: z.string(), reason: z.string() })),
  /** Pre-flight checks that passed: augmented frames compared with the lab's augmentation, runs whose forward pass matched. */
  checks: z.object({ augmentationSamples: z.number().int(), forwardRuns: z.number().int() }),
});
export type ReferenceReport = z.infer<typeof ReferenceReport>;

/** One line of the side-by-side table: the lab's validation metrics against PyTorch's, in degrees. */
export interface ReferenceRow {
  runId: string;
  name: string;
  head: string;
  targets: string;
  lab: { valMaeDeg: number; valRmseDeg: number } | null;
  pytorch: { valMaeDeg: number | null; valRmseDeg: number | null };
  /** Lab RMSE / PyTorch RMSE (1.10 = the lab is 10% worse); null when either is missing. */
  rmseRatio: number | null;
}
