/**
 * The layer plan of a regressor: names and shapes only (pure), so parameter
 * counts and conv geometry can be checked without creating tensors.
 *
 * PilotNet (Bojarski et al. 2016): conv 24,36,48 filters 5x5 stride 2, conv
 * 64,64 filters 3x3 stride 1, all 'valid'; flatten; dense 100, 50, 10; one
 * output. widthMultiplier scales every filter/unit count (rounded, at least 1).
 *
 * Small inputs (e.g. 33x100 or less): a 'valid' convolution needs the input
 * at least as large as the kernel. When it is not (in either dimension), that
 * conv layer falls back to 'same' padding with the same stride, so the output
 * is ceil(in / stride) and the network still fits. Each conv spec records the
 * padding it got, so the export and the UI show what was built.
 */
import { UserError } from '../errors.ts';
import type { ActivationName, HeadName, ModelConfig } from './config.ts';

export interface ConvSpec {
  kind: 'conv';
  name: string;
  kernel: number;
  stride: number;
  padding: 'valid' | 'same';
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  activation: ActivationName;
}
export interface DenseSpec {
  kind: 'dense';
  name: string;
  inUnits: number;
  outUnits: number;
  activation: ActivationName;
}
export interface HeadSpec {
  kind: 'head';
  name: string;
  inUnits: number;
  head: HeadName;
  /** Trunk layer feeding an auxiliary head; absent for the main head. */
  after?: string;
  lossWeight: number;
}
export type LayerSpec = ConvSpec | DenseSpec;

export interface ModelPlan {
  trunk: LayerSpec[];
  head: HeadSpec;
  aux: HeadSpec[];
}

export const PILOTNET_CONVS: readonly { filters: number; kernel: number; stride: number }[] = [
  { filters: 24, kernel: 5, stride: 2 },
  { filters: 36, kernel: 5, stride: 2 },
  { filters: 48, kernel: 5, stride: 2 },
  { filters: 64, kernel: 3, stride: 1 },
  { filters: 64, kernel: 3, stride: 1 },
];
export const PILOTNET_DENSE: readonly number[] = [100, 50, 10];

function scaled(n: number, m: number): number {
  return Math.max(1, Math.round(n * m));
}

function outputUnits(spec: LayerSpec): number {
  return spec.kind === 'conv' ? spec.outH * spec.outW * spec.outC : spec.outUnits;
}

/** Builds the plan for a (parsed) config; throws UserError (naming the config field) on one that cannot be built. */
export function planModel(cfg: ModelConfig): ModelPlan {
  const trunk: LayerSpec[] = [];
  let units: number;
  if (cfg.arch === 'pilotnet') {
    let h = cfg.input.height;
    let w = cfg.input.width;
    let c = cfg.input.channels;
    PILOTNET_CONVS.forEach((conv, i) => {
      const fits = h >= conv.kernel && w >= conv.kernel;
      const padding = fits ? 'valid' : 'same';
      const outH = fits ? Math.floor((h - conv.kernel) / conv.stride) + 1 : Math.ceil(h / conv.stride);
      const outW = fits ? Math.floor((w - conv.kernel) / conv.stride) + 1 : Math.ceil(w / conv.stride);
      const outC = scaled(conv.filters, cfg.widthMultiplier);
      trunk.push({ kind: 'conv', name: `conv${i + 1}`, kernel: conv.kernel, stride: conv.stride, padding, inH: h, inW: w, inC: c, outH, outW, outC, activation: cfg.activation });
      h = outH;
      w = outW;
      c = outC;
    });
    units = h * w * c;
    PILOTNET_DENSE.forEach((n, i) => {
      const out = scaled(n, cfg.widthMultiplier);
      trunk.push({ kind: 'dense', name: `dense${i + 1}`, inUnits: units, outUnits: out, activation: cfg.activation });
      units = out;
    });
  } else {
    units = cfg.input.width * cfg.input.height * cfg.input.channels;
    cfg.hidden.forEach((n, i) => {
      trunk.push({ kind: 'dense', name: `dense${i + 1}`, inUnits: units, outUnits: n, activation: cfg.activation });
      units = n;
    });
  }
  const head: HeadSpec = { kind: 'head', name: 'head', inUnits: units, head: cfg.head, lossWeight: 1 };
  const seen = new Set<string>();
  const aux = cfg.auxHeads.map((a, i): HeadSpec => {
    const src = trunk.find((l) => l.name === a.after);
    if (!src) {
      throw new UserError(`model.auxHeads[${i}].after '${a.after}' is not a layer of this model; use one of: ${trunk.map((l) => l.name).join(', ')}`);
    }
    // Heads are named after their layer (aux_conv2), and the name keys their variables and diagnostics.
    if (seen.has(a.after)) throw new UserError(`model.auxHeads[${i}]: '${a.after}' already has an auxiliary head; give each layer at most one`);
    seen.add(a.after);
    return { kind: 'head', name: `aux_${a.after}`, inUnits: outputUnits(src), head: a.head, after: a.after, lossWeight: a.lossWeight };
  });
  return { trunk, head, aux };
}

/** Trainable parameters of a plan (kernels, biases, and batchnorm gamma/beta when on). */
export function planParamCount(plan: ModelPlan, batchnorm: boolean): number {
  let n = 0;
  for (const l of plan.trunk) {
    const out = l.kind === 'conv' ? l.outC : l.outUnits;
    n += l.kind === 'conv' ? l.kernel * l.kernel * l.inC * l.outC + l.outC : l.inUnits * l.outUnits + l.outUnits;
    if (batchnorm) n += 2 * out;
  }
  for (const h of [plan.head, ...plan.aux]) n += h.inUnits + 1;
  return n;
}

/** Multiply-adds of one trunk layer's forward pass, for one sample. */
export function layerMacs(l: LayerSpec): number {
  return l.kind === 'conv' ? l.outH * l.outW * l.outC * l.kernel * l.kernel * l.inC : l.inUnits * l.outUnits;
}

/** FLOPs per sample (2 per multiply-add; element-wise work such as activations is not counted). */
export interface PlanFlops {
  /** The forward pass, heads included. */
  forward: number;
  /**
   * A training step: the forward pass, the weight gradients (as many
   * multiply-adds again) and the input gradients of every layer but the
   * first (nothing needs the gradient of the image).
   */
  train: number;
}

export function planFlops(plan: ModelPlan): PlanFlops {
  const macs = plan.trunk.map(layerMacs);
  const fwd = macs.reduce((a, b) => a + b, 0) + [plan.head, ...plan.aux].reduce((a, h) => a + h.inUnits, 0);
  return { forward: 2 * fwd, train: 2 * (3 * fwd - (macs[0] ?? 0)) };
}
