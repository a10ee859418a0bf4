/**
 * Activation registry: config names -> tfjs-core functional ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ActivationName } from './config.ts';

/** Negative-side slope of leaky_relu (PyTorch's default; Keras' LeakyReLU uses 0.3). */
export const LEAKY_RELU_ALPHA = 0.01;

export function applyActivation(name: ActivationName, x: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu(x);
    case 'elu':
      return tf.elu(x);
    case 'leaky_relu':
      return tf.leakyRelu(x, LEAKY_RELU_ALPHA);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'linear':
      return x;
  }
}
