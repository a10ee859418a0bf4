/*
 * The pixel pass of a raw batch (src/data/augment-bytes.ts applyPixelPlan)
 * in the tfjs wasm backend's memory, writing the model input tensor in
 * place: in a gradient worker the JavaScript pass took 1.8 ms of each
 * 16-sample shard, and the tensor then copied its 2.5 MB once more. Same
 * memory rules as conv.c: pointers in, no data section, no shadow stack.
 */

#define EXPORT __attribute__((visibility("default")))

/*
 * One sample: out[(y*w + x)*c + ch] = lut[px[(y*w + col(x))*c + ch]], with
 * col(x) = flip ? w-1-sx : sx and sx = min(w-1, max(0, x - shift)) (a flip,
 * then a shift with the edge column repeated, as augmentInPlace moves
 * columns). lut holds the 256 float values' bits (the sample's brightness
 * and contrast table, or plain scaling to [0, 1]), so the floats are the
 * JavaScript pass's to the bit.
 */
EXPORT void pixel_pass(const unsigned char* px, int h, int w, int c, int flip, int shift, const int* lut, int* out) {
  if (!flip && shift == 0) {
    int n = h * w * c;
    for (int i = 0; i < n; i++) out[i] = lut[px[i]];
    return;
  }
  for (int y = 0; y < h; y++) {
    const unsigned char* row = px + y * w * c;
    int* dst = out + y * w * c;
    for (int x = 0; x < w; x++, dst += c) {
      int sx = x - shift;
      sx = sx < 0 ? 0 : sx > w - 1 ? w - 1 : sx;
      const unsigned char* s = row + (flip ? w - 1 - sx : sx) * c;
      for (int ch = 0; ch < c; ch++) dst[ch] = lut[s[ch]];
    }
  }
}
