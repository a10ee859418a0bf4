/**
 * Gradient kernels the wasm backend lacks (Conv2DBackpropFilter), built from
 * kernels it has. Filled in by the engine work (issue 4).
 */
export function registerWasmGradientKernels(): void {}
