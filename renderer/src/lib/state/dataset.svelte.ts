/**
 * The open data set: its summary, the scrubber position and the frame at
 * that position (fetched from the backend frame cache as a PNG).
 */
import type { ArgsIn, CropPreview, DatasetSummary, FrameImage } from '../../../../src/contract/index.ts';
import type { AppState } from './app.svelte.ts';

export class DatasetState {
  summary = $state.raw<DatasetSummary | null>(null);
  sample = $state(0);
  frame = $state.raw<FrameImage | null>(null);
  preview = $state.raw<CropPreview | null>(null);
  busy = $state<string | null>(null);
  /** Model input size in pixels used when opening (the demo drive too); the frame cache is decoded at this size. */
  input = $state({ width: 200, height: 66 });
  /** The open form's video, labels and crop (source pixels): here, so "Use suggested crop" can fill them. */
  form = $state({ open: false, source: '', labels: '', crop: { top: 0, bottom: 0, left: 0, right: 0 } });
  #app: AppState;
  #frameSeq = 0;

  constructor(app: AppState) {
    this.#app = app;
  }

  get sampleCount(): number {
    return this.summary?.anglesDeg.length ?? 0;
  }

  /** True angle at the scrubber position, degrees. */
  get angleDeg(): number | null {
    return this.summary ? (this.summary.anglesDeg[this.sample] ?? null) : null;
  }

  async openDemo(frames?: number): Promise<void> {
    await this.#load('Synthesising and decoding the demo drive …', () => this.#app.client.request('dataset.demo', { input: { ...this.input }, ...(frames ? { frames } : {}) }));
  }

  async open(args: ArgsIn<'dataset.open'>): Promise<void> {
    await this.#load(`Opening ${args.source} …`, () => this.#app.client.request('dataset.open', args));
  }

  async #load(label: string, fn: () => Promise<DatasetSummary>): Promise<void> {
    this.busy = label;
    this.#app.error = null;
    try {
      const s = await fn();
      this.summary = s;
      this.frame = null;
      this.preview = null;
      await this.seek(Math.floor(s.anglesDeg.length / 2));
      void this.#app.client.request('dataset.preview', { datasetId: s.datasetId }).then((p) => (this.preview = p), (e) => this.#app.fail(e));
    } catch (err) {
      this.#app.fail(err);
    } finally {
      this.busy = null;
    }
  }

  /**
   * Fills the open form's crop with the suggested one (and, when the form
   * names no video, the open data set's first video and labels), and opens
   * the form: pressing Open decodes the drive with it.
   */
  useSuggestedCrop(): void {
    const s = this.preview?.suggestion;
    if (!s?.found || !this.summary) return;
    this.form.crop = { ...s.crop };
    if (!this.form.source.trim()) {
      this.form.source = this.summary.spec.source;
      this.form.labels = this.summary.spec.labels ?? '';
    }
    this.form.open = true;
  }

  /** Moves the scrubber; only the latest frame request wins (fast dragging never shows a stale frame). */
  async seek(sample: number): Promise<void> {
    const s = this.summary;
    if (!s || s.anglesDeg.length === 0) return;
    this.sample = Math.max(0, Math.min(s.anglesDeg.length - 1, Math.round(sample)));
    const seq = ++this.#frameSeq;
    try {
      const f = await this.#app.client.request('dataset.frame', { datasetId: s.datasetId, sample: this.sample });
      if (seq === this.#frameSeq) this.frame = f;
    } catch (err) {
      this.#app.fail(err);
    }
  }
}
