/**
 * What goes through the queue: one job per grid cell (experiment, cell, seed)
 * and what a worker sends back. Job data is plain JSON validated on both
 * sides; it names the lab's one job kind and carries no code, so a worker
 * runs nothing but the lab's own training.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** BullMQ queue name: one per lab protocol, so two incompatible labs never share jobs. */
export const QUEUE_NAME = 'steerlab-cells';
/** Relay topic on which a coordinator asks running cells to stop. */
export const CANCEL_TOPIC = 'steerlab.cells.cancel';

/** This lab's version (package.json): a worker refuses jobs planned by another version. */
export const LAB_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const Fingerprint = z.object({ paths: z.array(z.string()), files: z.number().int(), bytes: z.number().int(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

/** One grid cell to train. */
export const CellJob = z.strictObject({
  kind: z.literal('cell'),
  labVersion: z.string(),
  experimentId: z.string().min(1),
  /** Index of the cell in the experiment's run list (cells x seeds). */
  index: z.number().int().min(0),
  total: z.number().int().min(1),
  name: z.string(),
  /** The full run config (RunConfig JSON); the worker parses it with the lab's own schema. */
  config: z.record(z.string(), z.unknown()),
  /** The data set's specs (paths every machine sees) and the coordinator's fingerprint of their files. */
  dataset: z.array(z.record(z.string(), z.unknown())).min(1),
  fingerprint: Fingerprint,
  /** The coordinator's workspace and the run folder reserved there; used when the worker sees the same folder. */
  workspace: z.string(),
  runDir: z.string(),
  /** The run's run.json as the coordinator wrote it (a worker without the shared folder writes the same one locally). */
  runMeta: z.record(z.string(), z.unknown()),
  workers: z.union([z.literal('auto'), z.number().int().min(0)]),
});
export type CellJob = z.infer<typeof CellJob>;

/** A worker's answer: where the run was written, and its files when the coordinator cannot see that folder. */
export const CellJobResult = z.strictObject({
  worker: z.string(),
  /** True when the run was written straight into the coordinator's runDir (shared workspace). */
  shared: z.boolean(),
  /** The run folder's files (relative path -> base64), only when not shared. */
  files: z.record(z.string(), z.string()).nullable(),
});
export type CellJobResult = z.infer<typeof CellJobResult>;

/** Progress a worker reports on its job (BullMQ job progress): one training event, already reduced to plain numbers. */
export const CellProgress = z.object({ worker: z.string(), event: z.record(z.string(), z.unknown()) });
export type CellProgress = z.infer<typeof CellProgress>;

/** Idempotent job id: the same cell of the same experiment is never queued twice. BullMQ ids may not contain ':'. */
export function cellJobId(experimentId: string, index: number): string {
  return `${cellJobPrefix(experimentId)}${index}`;
}

/** What every job id of an experiment starts with. */
export function cellJobPrefix(experimentId: string): string {
  return `${experimentId.replace(/:/g, '_')}--cell-`;
}
