/**
 * VisualBackProp and Grad-CAM on toy models with a known answer: an image
 * that is black except one bright square, and a model whose output depends
 * on that region only. Both methods must put the saliency on the square,
 * follow it when it moves, and agree with each other.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { computeSaliency } from '../../src/saliency/compute.ts';
import { saliencyNet } from '../../src/saliency/net.ts';

const H = 16;
const W = 32;
type Box = { top: number; left: number; bottom: number; right: number };

/** conv 3x3/2 valid -> conv 3x3/1 same (ReLU, positive kernels) -> dense on the region's cells only, times `sign`. */
function toyModel(region: Box, sign: number): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [H, W, 3], filters: 2, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' }));
  m.add(tfl.layers.conv2d({ filters: 2, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 1 }));
  const [oh, ow] = [7, 15];
  const dense = new Float32Array(oh * ow * 2);
  for (let r = 0; r < oh; r++) for (let c = 0; c < ow; c++) {
    // Conv cell (r, c) sees input rows 2r..2r+2 (+-2 more through conv2): weight it when its centre is in the region.
    const y = 2 * r + 1;
    const x = 2 * c + 1;
    if (y >= region.top && y < region.bottom && x >= region.left && x < region.right) dense.fill(sign, (r * ow + c) * 2, (r * ow + c) * 2 + 2);
  }
  tf.tidy(() => m.setWeights([
    tf.fill([3, 3, 3, 2], 1 / 27), tf.zeros([2]), tf.fill([3, 3, 2, 2], 1 / 18), tf.zeros([2]), tf.tensor(dense, [oh * ow * 2, 1]), tf.zeros([1]),
  ]));
  return m;
}

function image(box: Box): Float32Array {
  const x = new Float32Array(H * W * 3);
  for (let r = box.top; r < box.bottom; r++) for (let c = box.left; c < box.right; c++) x.fill(1, (r * W + c) * 3, (r * W + c) * 3 + 3);
  return x;
}

/** Share of a map's mass inside a box grown by `pad` pixels. */
function massIn(map: Float32Array, box: Box, pad: number): number {
  let inside = 0;
  let total = 0;
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) {
    const v = map[r * W + c];
    total += v;
    if (r >= box.top - pad && r < box.bottom + pad && c >= box.left - pad && c < box.right + pad) inside += v;
  }
  return inside / total;
}

function correlation(a: Float32Array, b: Float32Array): number {
  const ma = a.reduce((s, v) => s + v, 0) / a.length;
  const mb = b.reduce((s, v) => s + v, 0) / b.length;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

beforeAll(async () => {
  await initEngine('cpu');
});

describe('saliency on a toy model with a known answer', () => {
  const boxes: Box[] = [
    { top: 9, left: 4, bottom: 15, right: 12 },
    { top: 2, left: 20, bottom: 8, right: 29 },
  ];
  for (const [i, box] of boxes.entries()) {
    for (const sign of [1, -1]) {
      it(`both methods mark the square the output depends on (square ${i + 1}, output sign ${sign})`, () => {
        const model = toyModel(box, sign);
        const net = saliencyNet(model);
        expect(net.stages.map((s) => [s.inH, s.inW, s.outH, s.outW])).toEqual([[16, 32, 7, 15], [7, 15, 7, 15]]);
        const x = image(box);
        const vbp = computeSaliency(net, x, 1, 'visualbackprop');
        const cam = computeSaliency(net, x, 1, 'gradcam');
        expect(Math.sign(vbp.outputs[0])).toBe(sign);
        expect(cam.outputs[0]).toBeCloseTo(vbp.outputs[0], 5);
        for (const m of [vbp.maps, cam.maps]) {
          expect(m).toHaveLength(H * W);
          expect(Math.max(...m)).toBeCloseTo(1, 5);
          expect(Math.min(...m)).toBeGreaterThanOrEqual(0);
          // The receptive field spreads the answer by at most 2 px around the square.
          expect(massIn(m, box, 2)).toBeGreaterThan(0.9);
        }
        expect(correlation(vbp.maps, cam.maps)).toBeGreaterThan(0.7);
        model.dispose();
      });
    }
  }

  it('computes a batch frame by frame (the same maps as one at a time) without leaking tensors', () => {
    const model = toyModel(boxes[0], 1);
    const net = saliencyNet(model);
    const both = new Float32Array([...image(boxes[0]), ...image(boxes[1])]);
    const before = tf.memory().numTensors;
    for (const method of ['visualbackprop', 'gradcam'] as const) {
      const batch = computeSaliency(net, both, 2, method);
      const one = computeSaliency(net, image(boxes[1]), 1, method);
      for (let i = 0; i < H * W; i++) expect(batch.maps[H * W + i]).toBeCloseTo(one.maps[i], 5);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses a model without convolutions in one line naming why', () => {
    const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [12], units: 1 })] });
    expect(() => saliencyNet(m)).toThrow(/no convolution layers.*PilotNet run/);
    m.dispose();
  });
});
