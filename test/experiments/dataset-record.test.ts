import { describe, expect, it } from 'vitest';
import { datasetRecord, datasetSpecsOfRecord } from '../../src/experiments/dataset-record.ts';

const input = { width: 200, height: 66 };

describe('datasetSpecsOfRecord', () => {
  it('reads one spec and a list back as written', () => {
    const a = { source: 'a.mp4', labels: 'a.csv', input };
    const b = { source: 'b.mp4', input };
    expect(datasetSpecsOfRecord(datasetRecord([a]))).toEqual([a]);
    expect(datasetSpecsOfRecord(datasetRecord([a, b]))).toEqual([a, b]);
  });

  it('keeps the label scale of records written before labelFullScaleDeg (old key fullScaleDeg)', () => {
    const old = { source: 'a.mp4', labels: 'a.csv', input, labelOptions: { units: 'normalized', fullScaleDeg: 25 } };
    expect(datasetSpecsOfRecord(old)[0].labelOptions).toEqual({ units: 'normalized', labelFullScaleDeg: 25 });
    const both = { videos: [{ ...old, labelOptions: { fullScaleDeg: 25, labelFullScaleDeg: 420 } }] };
    expect(datasetSpecsOfRecord(both)[0].labelOptions).toEqual({ labelFullScaleDeg: 420 });
  });
});
