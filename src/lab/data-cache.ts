/**
 * The data an experiment's cells share: one decoded data set per input size,
 * and one training split per (input size, split, augmentation), so every
 * model seed of a cell trains on the very same frames and split.
 */
import { loadDatasets } from '../video/multi.ts';
import type { Dataset, DatasetSpec, DecodeProgress } from '../video/types.ts';
import type { RunConfig } from '../train/config.ts';
import type { ExperimentEvent } from '../experiments/events.ts';
import { datasetToTrainingData, DEFAULT_FRAME_CACHE_BYTES, FrameReader, type DatasetTrainingData } from '../experiments/training-data.ts';
import { assertTrainingFits } from '../train/memory-fit.ts';

export interface DataCache {
  /** The decoded data set at the config's input size (decoded once; the frame cache makes later decodes cheap). */
  load(c: RunConfig): Promise<Dataset>;
  /** The config's split of that data set. */
  training(ds: Dataset, c: RunConfig): DatasetTrainingData;
  /** Closes every frame cache file. */
  close(): void;
}

const sizeKey = (c: RunConfig): string => `${c.model.input.height}x${c.model.input.width}`;

export function createDataCache(specs: DatasetSpec[], o: { cacheDir: string; signal?: AbortSignal; emit(e: ExperimentEvent): void }): DataCache {
  const datasets = new Map<string, Dataset>();
  const splits = new Map<string, DatasetTrainingData>();
  const readers = new Map<Dataset, FrameReader>();
  return {
    async load(c) {
      const key = sizeKey(c);
      const cached = datasets.get(key);
      if (cached) return cached;
      // A size that cannot fit is refused with the estimate, before decoding (a 4096x4096 input would swap for minutes).
      assertTrainingFits(c.model, c.batchSize, { frameCacheBytes: DEFAULT_FRAME_CACHE_BYTES });
      const ds = await loadDatasets(
        specs.map((s) => ({ ...s, input: { width: c.model.input.width, height: c.model.input.height } })),
        {
          cacheDir: o.cacheDir,
          signal: o.signal,
          onProgress: (p: DecodeProgress) => o.emit({ type: 'dataset-progress', done: p.done, total: p.total, etaS: p.etaS }),
        },
      );
      datasets.set(key, ds);
      return ds;
    },
    training(ds, c) {
      const key = `${sizeKey(c)}|${JSON.stringify(c.split)}|${JSON.stringify(c.augment)}`;
      let td = splits.get(key);
      if (!td) {
        // One reader per data set: its frames' pixel sums are kept across the cells that share it.
        let reader = readers.get(ds);
        if (!reader) readers.set(ds, (reader = new FrameReader(ds.frames)));
        td = datasetToTrainingData(ds, c.split, c.augment, { frameCache: reader });
        splits.set(key, td);
      }
      return td;
    },
    close() {
      for (const ds of datasets.values()) ds.frames.close();
      datasets.clear();
    },
  };
}
