/**
 * Export a trained Regressor to the TensorFlow.js Layers format (model.json
 * + one weights file), loadable with tf.loadLayersModel anywhere tfjs runs.
 *
 * We build the equivalent tfjs-layers functional model (inference graph
 * only) and copy our weights into it:
 * - a Rescaling layer (2x - 1) first when the model centres its pixels;
 * - conv/dense with a linear activation, then BatchNormalization (when on,
 *   with our moving statistics), then an Activation / LeakyReLU layer;
 * - dropout is left out (identity at inference);
 * - each head: Flatten (when fed by a conv layer), Dense(1), plus
 *   Activation('tanh') for tanh heads; for scaled_tanh a frozen Dense(1, no
 *   bias) whose kernel is k multiplies the tanh, because tfjs-layers has no
 *   serialisable Lambda layer;
 * - auxiliary heads (GoogLeNet style) are extra outputs after the main one,
 *   in ModelConfig.auxHeads order, so predict() returns
 *   [main, aux_<after>, ...] for a model that has them and one tensor
 *   otherwise. `exportedOutputs(model)` names them.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { LEAKY_RELU_ALPHA } from './activations.ts';
import { BN_EPSILON, BN_MOMENTUM } from './index.ts';
import type { HeadSpec } from './plan.ts';
import type { Regressor } from './types.ts';

export const EXPORT_WEIGHTS_FILE = 'weights.bin';

/** Names of the exported model's outputs, in predict() order: the main head, then the auxiliary heads. */
export function exportedOutputs(model: Regressor): string[] {
  return [model.plan.head.name, ...model.plan.aux.map((a) => a.name)];
}

/** The tfjs-layers model equivalent to `model` at inference (every head an output), with its weights. */
export function toLayersModel(model: Regressor): tfl.LayersModel {
  const cfg = model.config;
  const inputShape = cfg.arch === 'mlp' ? [cfg.input.height * cfg.input.width * cfg.input.channels] : [cfg.input.height, cfg.input.width, cfg.input.channels];
  const weights = model.getWeights();
  const buffers = model.getBuffers();
  const byLayer = new Map<string, Float32Array[]>();
  let wi = 0;
  for (const l of model.layers) byLayer.set(l.name, l.variables.map(() => weights[wi++]));
  let bi = 0;
  const assign: { layer: tfl.layers.Layer; values: Float32Array[] }[] = [];
  const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor, values?: Float32Array[]): tfl.SymbolicTensor => {
    if (values) assign.push({ layer, values });
    return layer.apply(x) as tfl.SymbolicTensor;
  };
  const input = tfl.input({ shape: inputShape, name: 'input' });
  let h = input;
  // Pixels in [0, 1] are centred inside the model (inputNorm), so the exported model takes the same [0, 1] input.
  if (cfg.arch === 'pilotnet' && cfg.inputNorm === 'centered') h = apply(tfl.layers.rescaling({ scale: 2, offset: -1, name: 'input_norm' }), h);
  /** Each trunk layer's output after its activation (what an auxiliary head reads). */
  const outputs = new Map<string, tfl.SymbolicTensor>();
  for (const spec of model.plan.trunk) {
    const [kernel, bias, gamma, beta] = byLayer.get(spec.name)!;
    if (spec.kind === 'conv') {
      h = apply(tfl.layers.conv2d({ name: spec.name, filters: spec.outC, kernelSize: spec.kernel, strides: spec.stride, padding: spec.padding, activation: 'linear' }), h, [kernel, bias]);
    } else {
      if (h.shape.length > 2) h = apply(tfl.layers.flatten({ name: `${spec.name}_flatten` }), h);
      h = apply(tfl.layers.dense({ name: spec.name, units: spec.outUnits, activation: 'linear' }), h, [kernel, bias]);
    }
    if (cfg.batchnorm) {
      const mm = buffers[bi++];
      const mv = buffers[bi++];
      h = apply(tfl.layers.batchNormalization({ name: `${spec.name}_bn`, axis: -1, momentum: BN_MOMENTUM, epsilon: BN_EPSILON }), h, [gamma, beta, mm, mv]);
    }
    if (spec.activation === 'leaky_relu') h = apply(tfl.layers.leakyReLU({ name: `${spec.name}_act`, alpha: LEAKY_RELU_ALPHA }), h);
    else if (spec.activation !== 'linear') h = apply(tfl.layers.activation({ name: `${spec.name}_act`, activation: spec.activation }), h);
    outputs.set(spec.name, h);
  }
  const head = (spec: HeadSpec, from: tfl.SymbolicTensor): tfl.SymbolicTensor => {
    const [k, b] = byLayer.get(spec.name)!;
    let x = from.shape.length > 2 ? apply(tfl.layers.flatten({ name: `${spec.name}_flatten` }), from) : from;
    x = apply(tfl.layers.dense({ name: spec.name, units: 1, activation: 'linear' }), x, [k, b]);
    if (spec.head !== 'linear') x = apply(tfl.layers.activation({ name: `${spec.name}_tanh`, activation: 'tanh' }), x);
    if (spec.head === 'scaled_tanh') {
      x = apply(tfl.layers.dense({ name: `${spec.name}_scale`, units: 1, useBias: false, trainable: false }), x, [Float32Array.of(cfg.headScale)]);
    }
    return x;
  };
  const heads = [head(model.plan.head, h), ...model.plan.aux.map((a) => head(a, a.after ? outputs.get(a.after)! : h))];
  const lm = tfl.model({ inputs: input, outputs: heads.length === 1 ? heads[0] : heads, name: 'steering_regressor' });
  // The layer variables keep their own reference to the data: tidy frees the temporary tensors (52 per export leaked before).
  tf.tidy(() => {
    for (const { layer, values } of assign) {
      const shapes = layer.getWeights().map((w) => w.shape);
      layer.setWeights(values.map((v, i) => tf.tensor(v, shapes[i], 'float32')));
    }
  });
  return lm;
}

/**
 * model.json content and the weights file's bytes. userDefinedMetadata holds
 * `outputs` (the head names in predict() order) and `metadata` (e.g. the
 * target transform needed to read the outputs in degrees).
 */
export async function exportLayersModel(model: Regressor, metadata?: Record<string, unknown>): Promise<{ modelJson: object; weightData: ArrayBuffer }> {
  const lm = toLayersModel(model);
  let saved: tf.io.ModelArtifacts | null = null;
  await lm.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  lm.dispose();
  const a = saved! as tf.io.ModelArtifacts;
  const wd = a.weightData!;
  const weightData = Array.isArray(wd) ? tf.io.concatenateArrayBuffers(wd) : wd;
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: 'steering-lab',
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [EXPORT_WEIGHTS_FILE], weights: a.weightSpecs }],
    userDefinedMetadata: { outputs: exportedOutputs(model), ...metadata },
  };
  return { modelJson, weightData };
}
