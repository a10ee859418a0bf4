/*
 * Element-wise kernels for the tfjs wasm backend where tfjs would run a dozen
 * separate passes: the Adam update of one variable, and column sums (the bias
 * gradient: dy summed over batch, rows and columns). Same memory rules as
 * conv.c: pointers in, no data section, no shadow stack.
 */
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

/*
 * One Adam step, in the order and float32 rounding of the lab's op-by-op
 * version (src/train/optimizer.ts), so both give the same bits:
 *   m' = m*b1 + g*ob1;  v' = v*b2 + g*g*ob2
 *   u  = (m'/c1) / (sqrt(v'/c2) + eps) * lr;  w' = w - u
 * with ob1 = 1 - b1, ob2 = 1 - b2, c1 = 1 - b1^t, c2 = 1 - b2^t, each
 * computed in float64 by the caller and rounded once, as tfjs does with scalars. Writes w', m', v' to new buffers and
 * returns the sum of u^2 (the update-size diagnostic), accumulated in float64.
 */
EXPORT double adam_step(const float* w, const float* g, const float* m, const float* v,
                        float* w2, float* m2, float* v2, int n,
                        float lr, float b1, float ob1, float b2, float ob2, float c1, float c2, float eps) {
  double sq = 0.0;
  int i = 0;
  v128_t vb1 = wasm_f32x4_splat(b1), vob1 = wasm_f32x4_splat(ob1);
  v128_t vb2 = wasm_f32x4_splat(b2), vob2 = wasm_f32x4_splat(ob2);
  v128_t vc1 = wasm_f32x4_splat(c1), vc2 = wasm_f32x4_splat(c2);
  v128_t veps = wasm_f32x4_splat(eps), vlr = wasm_f32x4_splat(lr);
  for (; i + 4 <= n; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(gi, vob1));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vob2));
    v128_t u = wasm_f32x4_mul(wasm_f32x4_div(wasm_f32x4_div(mi, vc1), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, vc2)), veps)), vlr);
    wasm_v128_store(m2 + i, mi);
    wasm_v128_store(v2 + i, vi);
    wasm_v128_store(w2 + i, wasm_f32x4_sub(wasm_v128_load(w + i), u));
    v128_t uu = wasm_f32x4_mul(u, u);
    sq += (double)wasm_f32x4_extract_lane(uu, 0) + (double)wasm_f32x4_extract_lane(uu, 1) +
          (double)wasm_f32x4_extract_lane(uu, 2) + (double)wasm_f32x4_extract_lane(uu, 3);
  }
  for (; i < n; i++) {
    float gi = g[i];
    float mi = m[i] * b1 + gi * ob1;
    float vi = v[i] * b2 + gi * gi * ob2;
    float u = ((mi / c1) / (__builtin_sqrtf(vi / c2) + eps)) * lr;
    m2[i] = mi;
    v2[i] = vi;
    w2[i] = w[i] - u;
    sq += (double)(u * u);
  }
  return sq;
}

/*
 * out[c] = sum over r < rows of x[r*cols + c]. Rows are summed in blocks of
 * 256 into `part` (cols floats of scratch) and the block sums added to out:
 * the rounding error grows with the number of blocks, not of rows (conv1's
 * bias gradient sums 48,608 rows at batch 16).
 */
EXPORT void sum_rows(const float* x, int rows, int cols, float* out, float* part) {
  for (int c = 0; c < cols; c++) out[c] = 0.0f;
  for (int r0 = 0; r0 < rows; r0 += 256) {
    int r1 = r0 + 256 < rows ? r0 + 256 : rows;
    for (int c = 0; c < cols; c++) part[c] = 0.0f;
    for (int r = r0; r < r1; r++) {
      const float* row = x + r * cols;
      int c = 0;
      for (; c + 4 <= cols; c += 4) wasm_v128_store(part + c, wasm_f32x4_add(wasm_v128_load(part + c), wasm_v128_load(row + c)));
      for (; c < cols; c++) part[c] += row[c];
    }
    for (int c = 0; c < cols; c++) out[c] += part[c];
  }
}

/*
 * Diagnostics moments of one tensor in a single pass: out[0] = sum of x,
 * out[1] = sum of x^2, out[2] = count of non-finite entries, out[3] = count
 * of |x| > thr. NaN and Inf propagate into the sums, as tf.sum would. Blocks
 * of 1024 are summed in float32 lanes and the block sums added in float64.
 * The op-by-op version made 8 passes and 4 temporary tensors per activation.
 */
EXPORT void moments(const float* x, int n, float thr, float* out) {
  double s = 0.0, ss = 0.0;
  int finite = 0, above = 0;
  v128_t vmax = wasm_f32x4_splat(3.40282346638528859812e+38f);
  v128_t vthr = wasm_f32x4_splat(thr);
  int i = 0;
  while (i + 4 <= n) {
    int end = i + 1024 < n ? i + 1024 : n;
    v128_t bs = wasm_f32x4_splat(0.0f), bss = bs;
    v128_t fin = wasm_i32x4_splat(0), abv = fin;
    for (; i + 4 <= end; i += 4) {
      v128_t v = wasm_v128_load(x + i);
      v128_t a = wasm_f32x4_abs(v);
      bs = wasm_f32x4_add(bs, v);
      bss = wasm_f32x4_add(bss, wasm_f32x4_mul(v, v));
      fin = wasm_i32x4_sub(fin, wasm_f32x4_le(a, vmax)); /* lanes are -1 where true */
      abv = wasm_i32x4_sub(abv, wasm_f32x4_gt(a, vthr));
    }
    s += (double)wasm_f32x4_extract_lane(bs, 0) + (double)wasm_f32x4_extract_lane(bs, 1) +
         (double)wasm_f32x4_extract_lane(bs, 2) + (double)wasm_f32x4_extract_lane(bs, 3);
    ss += (double)wasm_f32x4_extract_lane(bss, 0) + (double)wasm_f32x4_extract_lane(bss, 1) +
          (double)wasm_f32x4_extract_lane(bss, 2) + (double)wasm_f32x4_extract_lane(bss, 3);
    finite += wasm_i32x4_extract_lane(fin, 0) + wasm_i32x4_extract_lane(fin, 1) +
              wasm_i32x4_extract_lane(fin, 2) + wasm_i32x4_extract_lane(fin, 3);
    above += wasm_i32x4_extract_lane(abv, 0) + wasm_i32x4_extract_lane(abv, 1) +
             wasm_i32x4_extract_lane(abv, 2) + wasm_i32x4_extract_lane(abv, 3);
  }
  for (; i < n; i++) {
    float v = x[i];
    float a = __builtin_fabsf(v);
    s += (double)v;
    ss += (double)(v * v);
    finite += a <= 3.40282346638528859812e+38f;
    above += a > thr;
  }
  out[0] = (float)s;
  out[1] = (float)ss;
  out[2] = (float)(n - finite);
  out[3] = (float)above;
}

/*
 * y = x (op) b with b broadcast over x: b holds cols values (a vector over x's last axis, x being rows x cols)
 * or, with cols == 1, one scalar. op 0: x + b, op 1: x * b, op 2: x - b. One SIMD pass; each element is the
 * one float32 operation tfjs does, so the same bits. tfjs' own kernel took 1.3 ms to add conv1's bias at
 * batch 16 (1.17M values), this one 0.2-0.3 ms (measured).
 */
#define ROWS_OP_LOOP(VEC, SCAL)                                                                   \
  if (cols == 1) {                                                                                \
    v128_t vb = wasm_f32x4_splat(b[0]);                                                           \
    float sb = b[0];                                                                              \
    int i = 0;                                                                                    \
    for (; i + 4 <= rows; i += 4) wasm_v128_store(y + i, VEC(wasm_v128_load(x + i), vb));        \
    for (; i < rows; i++) y[i] = SCAL(x[i], sb);                                                  \
    return;                                                                                       \
  }                                                                                               \
  for (int r = 0; r < rows; r++) {                                                                \
    const float* xr = x + r * cols;                                                               \
    float* yr = y + r * cols;                                                                     \
    int c = 0;                                                                                    \
    for (; c + 4 <= cols; c += 4) wasm_v128_store(yr + c, VEC(wasm_v128_load(xr + c), wasm_v128_load(b + c))); \
    for (; c < cols; c++) yr[c] = SCAL(xr[c], b[c]);                                              \
  }                                                                                               \
  return;

#define S_ADD(p, q) ((p) + (q))
#define S_MUL(p, q) ((p) * (q))
#define S_SUB(p, q) ((p) - (q))

EXPORT void rows_op(const float* x, const float* b, float* y, int rows, int cols, int op) {
  if (op == 0) { ROWS_OP_LOOP(wasm_f32x4_add, S_ADD) }
  if (op == 1) { ROWS_OP_LOOP(wasm_f32x4_mul, S_MUL) }
  ROWS_OP_LOOP(wasm_f32x4_sub, S_SUB)
}
