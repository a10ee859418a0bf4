/** Shared by the engine tests: comparing a backend's numbers with the reference backend's. */

/** max |ref - got| / max |ref|: relative to the reference's scale, so near-zero entries do not blow it up. */
export function relErr(ref: Float32Array, got: Float32Array): number {
  if (got.length !== ref.length) throw new Error(`relErr: lengths differ (${ref.length} vs ${got.length})`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num = Math.max(num, Math.abs(ref[i] - got[i]));
    den = Math.max(den, Math.abs(ref[i]));
  }
  return den === 0 ? num : num / den;
}
