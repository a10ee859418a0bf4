/**
 * What saliency needs to know about a trained steering CNN, read off its
 * tfjs-layers graph (the run's exported model, see model/export.ts): the
 * convolution stages on the path from the image to the main steering output,
 * each with its geometry and the tensor after its batchnorm and activation,
 * and the layers after the last stage (what Grad-CAM differentiates).
 *
 * Read from the graph rather than from the run's config, so any model with
 * Conv2D layers works: the lab's PilotNet, a test's toy model, an imported one.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { UserError } from '../errors.ts';

/** One convolution and the element-wise layers after it (batchnorm, activation), as one stage. */
export interface ConvStage {
  name: string;
  kernel: [number, number];
  stride: [number, number];
  padding: 'valid' | 'same';
  /** Input and output size in pixels (rows, columns) of this stage. */
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  outC: number;
  /** The stage's output (after batchnorm and activation when the model has them). */
  output: tfl.SymbolicTensor;
}

/** A model prepared for saliency. */
export interface SaliencyNet {
  /** Input size: rows, columns, channels (pixels in [0, 1], as the lab feeds its models). */
  input: { height: number; width: number; channels: number };
  stages: ConvStage[];
  /** input -> [each stage's output ..., main steering output]. */
  probe: tfl.LayersModel;
  /** Layers after the last stage on the path to the main output, in order (applied eagerly for Grad-CAM). */
  tail: tfl.layers.Layer[];
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

/** The layers from the input to `out`, in forward order (the main path; auxiliary heads branch off it and are left out). */
function mainPath(out: tfl.SymbolicTensor): tfl.layers.Layer[] {
  const path: tfl.layers.Layer[] = [];
  let t: tfl.SymbolicTensor | undefined = out;
  while (t && t.sourceLayer.getClassName() !== 'InputLayer') {
    path.unshift(t.sourceLayer);
    const node: { inputTensors: tfl.SymbolicTensor[] } | undefined = t.sourceLayer.inboundNodes[t.nodeIndex];
    if (!node || node.inputTensors.length !== 1) throw new Error(`layer ${t.sourceLayer.name} does not have exactly one input; saliency reads a chain of layers`);
    t = node.inputTensors[0];
  }
  return path;
}

const sameShape = (a: tfl.Shape, b: tfl.Shape): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Finds the convolution stages of a model whose first output is the steering
 * angle. A stage is a Conv2D layer plus the layers right after it that keep
 * its output shape (batchnorm, activation). Throws UserError for a model
 * without convolutions (an MLP run): there are no feature maps to show.
 */
export function saliencyNet(model: tfl.LayersModel): SaliencyNet {
  const mainOut = model.outputs[0];
  const path = mainPath(mainOut);
  const stages: ConvStage[] = [];
  let i = 0;
  let lastStageEnd = -1;
  while (i < path.length) {
    const layer = path[i];
    if (layer.getClassName() !== 'Conv2D') {
      i++;
      continue;
    }
    const cfg = layer.getConfig();
    const inShape = (layer.input as tfl.SymbolicTensor).shape as number[];
    const outShape = (layer.output as tfl.SymbolicTensor).shape as number[];
    let end = i;
    while (end + 1 < path.length && path[end + 1].getClassName() !== 'Conv2D' && sameShape((path[end + 1].output as tfl.SymbolicTensor).shape, outShape)) end++;
    stages.push({
      name: layer.name,
      kernel: pair(cfg.kernelSize),
      stride: pair(cfg.strides),
      padding: cfg.padding === 'same' ? 'same' : 'valid',
      inH: inShape[1], inW: inShape[2], outH: outShape[1], outW: outShape[2], outC: outShape[3],
      output: path[end].output as tfl.SymbolicTensor,
    });
    lastStageEnd = end;
    i = end + 1;
  }
  if (stages.length === 0) throw new UserError('this model has no convolution layers (an MLP run), so there are no feature maps to show; saliency needs a PilotNet run');
  const inShape = model.inputs[0].shape as number[];
  if (inShape.length !== 4) throw new UserError(`this model takes inputs of shape [${inShape.join(', ')}], not images; saliency needs a PilotNet run`);
  const probe = tfl.model({ inputs: model.inputs[0], outputs: [...stages.map((s) => s.output), mainOut], name: 'saliency_probe' });
  return {
    input: { height: inShape[1], width: inShape[2], channels: inShape[3] },
    stages,
    probe,
    tail: path.slice(lastStageEnd + 1),
  };
}
