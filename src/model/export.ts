/**
 * Export a trained Regressor to the TensorFlow.js Layers format (model.json
 * + one weights file), loadable with tf.loadLayersModel anywhere tfjs runs.
 *
 * We build the equivalent tfjs-layers Sequential model (inference graph
 * only) and copy our weights into it:
 * - conv/dense with a linear activation, then BatchNormalization (when on,
 *   with our moving statistics), then an Activation / LeakyReLU layer;
 * - dropout is left out (identity at inference);
 * - the main head: Dense(1), plus Activation('tanh') for tanh heads; for
 *   scaled_tanh a frozen Dense(1, no bias) whose kernel is k multiplies the
 *   tanh, because tfjs-layers has no serialisable Lambda layer;
 * - auxiliary heads are training-only and are not exported.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { LEAKY_RELU_ALPHA } from './activations.ts';
import { BN_EPSILON, BN_MOMENTUM } from './index.ts';
import type { Regressor } from './types.ts';

export const EXPORT_WEIGHTS_FILE = 'weights.bin';

/** The tfjs-layers Sequential model equivalent to `model` at inference, with its weights. */
export function toLayersModel(model: Regressor): tfl.Sequential {
  const cfg = model.config;
  const seq = tfl.sequential();
  const inputShape = cfg.arch === 'mlp' ? [cfg.input.height * cfg.input.width * cfg.input.channels] : [cfg.input.height, cfg.input.width, cfg.input.channels];
  const weights = model.getWeights();
  const buffers = model.getBuffers();
  const byLayer = new Map<string, Float32Array[]>();
  let wi = 0;
  for (const l of model.layers) byLayer.set(l.name, l.variables.map(() => weights[wi++]));
  let bi = 0;
  const assign: { layer: tfl.layers.Layer; values: Float32Array[] }[] = [];
  const add = (layer: tfl.layers.Layer, values?: Float32Array[]) => {
    seq.add(layer);
    if (values) assign.push({ layer, values });
  };
  let first = true;
  let flattened = cfg.arch === 'mlp';
  const withInput = <T extends object>(args: T): T => (first ? { ...args, inputShape } : args);
  for (const spec of model.plan.trunk) {
    const [kernel, bias, gamma, beta] = byLayer.get(spec.name)!;
    if (spec.kind === 'conv') {
      add(tfl.layers.conv2d(withInput({ name: spec.name, filters: spec.outC, kernelSize: spec.kernel, strides: spec.stride, padding: spec.padding, activation: 'linear' as const })), [kernel, bias]);
    } else {
      if (!flattened) {
        add(tfl.layers.flatten({ name: `${spec.name}_flatten` }));
        flattened = true;
      }
      add(tfl.layers.dense(withInput({ name: spec.name, units: spec.outUnits, activation: 'linear' as const })), [kernel, bias]);
    }
    first = false;
    if (cfg.batchnorm) {
      const mm = buffers[bi++];
      const mv = buffers[bi++];
      add(tfl.layers.batchNormalization({ name: `${spec.name}_bn`, axis: -1, momentum: BN_MOMENTUM, epsilon: BN_EPSILON }), [gamma, beta, mm, mv]);
    }
    if (spec.activation === 'leaky_relu') add(tfl.layers.leakyReLU({ name: `${spec.name}_act`, alpha: LEAKY_RELU_ALPHA }));
    else if (spec.activation !== 'linear') add(tfl.layers.activation({ name: `${spec.name}_act`, activation: spec.activation }));
  }
  if (!flattened) add(tfl.layers.flatten({ name: 'head_flatten' }));
  const [hk, hb] = byLayer.get('head')!;
  add(tfl.layers.dense(withInput({ name: 'head', units: 1, activation: 'linear' as const })), [hk, hb]);
  if (cfg.head !== 'linear') add(tfl.layers.activation({ name: 'head_tanh', activation: 'tanh' }));
  if (cfg.head === 'scaled_tanh') {
    add(tfl.layers.dense({ name: 'head_scale', units: 1, useBias: false, trainable: false }), [Float32Array.of(cfg.headScale)]);
  }
  for (const { layer, values } of assign) {
    const shapes = layer.getWeights().map((w) => w.shape);
    layer.setWeights(values.map((v, i) => tf.tensor(v, shapes[i], 'float32')));
  }
  return seq;
}

/**
 * model.json content and the weights file's bytes. `metadata` (e.g. the
 * target transform needed to read the output in degrees) is stored as the
 * model's userDefinedMetadata.
 */
export async function exportLayersModel(model: Regressor, metadata?: Record<string, unknown>): Promise<{ modelJson: object; weightData: ArrayBuffer }> {
  const seq = toLayersModel(model);
  let saved: tf.io.ModelArtifacts | null = null;
  await seq.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  seq.dispose();
  const a = saved! as tf.io.ModelArtifacts;
  const wd = a.weightData!;
  const weightData = Array.isArray(wd) ? tf.io.concatenateArrayBuffers(wd) : wd;
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: 'steering-lab',
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [EXPORT_WEIGHTS_FILE], weights: a.weightSpecs }],
    ...(metadata ? { userDefinedMetadata: metadata } : {}),
  };
  return { modelJson, weightData };
}
