import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { cellName, expandGrid, getPath, gridCells, setPath } from '../../src/experiments/grid.ts';

describe('grid expansion', () => {
  it('takes the cartesian product, first axis outermost, and keeps the base seed and split', () => {
    const configs = expandGrid(
      { name: 'heads', seed: 7, split: { blocks: 3 }, epochs: 2 },
      { 'model.head': ['linear', 'tanh'], 'targets.kind': ['raw', 'normalized', 'standardized'] },
    );
    expect(configs).toHaveLength(6);
    expect(configs.map((c) => [c.model.head, c.targets.kind])).toEqual([
      ['linear', 'raw'], ['linear', 'normalized'], ['linear', 'standardized'],
      ['tanh', 'raw'], ['tanh', 'normalized'], ['tanh', 'standardized'],
    ]);
    for (const c of configs) {
      expect(c.seed).toBe(7);
      expect(c.split.blocks).toBe(3);
      expect(c.epochs).toBe(2);
      // defaults filled in by the schema
      expect(c.optimizer.name).toBe('adam');
    }
    expect(configs[0].name).toBe('heads head=linear targets=raw');
  });

  it('does not mutate the base config', () => {
    const base = { model: { head: 'linear' as const } };
    expandGrid(base, { 'model.head': ['tanh'] });
    expect(base.model.head).toBe('linear');
  });

  it('no axes gives the base config once', () => {
    const configs = expandGrid({ name: 'solo', epochs: 3 }, {});
    expect(configs).toHaveLength(1);
    expect(configs[0].name).toBe('solo');
    expect(configs[0].epochs).toBe(3);
  });

  it('rejects unknown paths, bad values and empty axes with a UserError', () => {
    expect(() => expandGrid({}, { 'model.haed': ['linear'] })).toThrow(UserError);
    expect(() => expandGrid({}, { 'model.haed': ['linear'] })).toThrow(/unknown field 'model\.haed' \(did you mean 'model\.head'\?\)/);
    expect(() => expandGrid({}, { 'model.head': ['sigmoid'] })).toThrow(/invalid at 'model.head'/);
    expect(() => expandGrid({}, { 'model.head': [] })).toThrow(/no values/);
  });

  it('dotted paths get and set nested values', () => {
    const o: Record<string, unknown> = {};
    setPath(o, 'a.b.c', 3);
    expect(getPath(o, 'a.b.c')).toBe(3);
    expect(getPath(o, 'a.x.c')).toBeUndefined();
    expect(gridCells({ a: [1, 2], b: ['x'] })).toEqual([{ a: 1, b: 'x' }, { a: 2, b: 'x' }]);
    expect(cellName({ 'model.head': 'tanh', 'optimizer.learningRate': 0.01, 'optimizer.name': 'sgd' })).toBe('head=tanh learningRate=0.01 optimizer=sgd');
  });
});
