/**
 * The open data set: its summary, the scrubber position and the frame at
 * that position (fetched from the backend frame cache as a PNG).
 */
import type { ArgsIn, CropPreview, DatasetOverview, FrameImage, SourceFrame } from '../../../../src/contract/index.ts';
import type { AppState } from './app.svelte.ts';
import { KEYS, readJson, removeKey, restore, writeJson } from '../persist.ts';
import { cropSide } from '../crop.ts';

/** What to reopen after a reload: the demo drive or the arguments of dataset.open. */
type Reopen = { kind: 'demo'; frames: number | null; input: { width: number; height: number } } | { kind: 'open'; args: ArgsIn<'dataset.open'> };

/** The form fields kept across a reload (the open data set is kept separately, as what to reopen). */
const FORM_DEFAULTS = { input: { width: 200, height: 66 }, form: { source: '', labels: '', crop: { top: 0, bottom: 0, left: 0, right: 0 } } };

/** How long the scrubber rests before its source frame is decoded, ms (dragging decodes nothing). */
const SOURCE_DELAY_MS = 150;

export class DatasetState {
  summary = $state.raw<DatasetOverview | null>(null);
  sample = $state(0);
  frame = $state.raw<FrameImage | null>(null);
  preview = $state.raw<CropPreview | null>(null);
  /** The scrubbed sample's uncropped source frame (decoded on request, a moment after the scrubber stops). */
  sourceFrame = $state.raw<SourceFrame | null>(null);
  busy = $state<string | null>(null);
  /** Model input size in pixels used when opening (the demo drive too); the frame cache is decoded at this size. */
  input = $state(restore(KEYS.datasetForm, FORM_DEFAULTS).input);
  /** The open form's video, labels and crop (source pixels): here, so "Use suggested crop" can fill them. */
  form = $state({ open: false, ...restore(KEYS.datasetForm, FORM_DEFAULTS).form });
  #app: AppState;
  #frameSeq = 0;
  #sourceTimer: ReturnType<typeof setTimeout> | null = null;

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
    const input = { ...this.input };
    await this.#load('Synthesising and decoding the demo drive …', () => this.#app.client.request('dataset.demo', { input, ...(frames ? { frames } : {}) }), { kind: 'demo', frames: frames ?? null, input });
  }

  async open(args: ArgsIn<'dataset.open'>): Promise<void> {
    await this.#load(`Opening ${args.source} …`, () => this.#app.client.request('dataset.open', args), { kind: 'open', args });
  }

  /** The form fields as plain JSON (reading them all, so an $effect that saves this runs on every change). */
  formSnapshot(): typeof FORM_DEFAULTS {
    const c = this.form.crop;
    return { input: { width: this.input.width, height: this.input.height }, form: { source: this.form.source, labels: this.form.labels, crop: { top: c.top, bottom: c.bottom, left: c.left, right: c.right } } };
  }

  /** Saves the form fields (called from an $effect of the app root). */
  saveForm(): void {
    writeJson(KEYS.datasetForm, this.formSnapshot());
  }

  /** Reopens the data set that was open before a reload (a frame-cache hit, so quick); forgets it when it cannot be reopened. */
  async reopen(): Promise<void> {
    if (this.summary || this.busy) return;
    const r = readJson(KEYS.dataset) as Reopen | null;
    if (!r || typeof r !== 'object') return;
    if (r.kind === 'demo' && r.input && typeof r.input.width === 'number') {
      await this.#load('Reopening the demo drive …', () => this.#app.client.request('dataset.demo', { input: r.input, ...(r.frames ? { frames: r.frames } : {}) }), r);
    } else if (r.kind === 'open' && r.args && typeof r.args.source === 'string') {
      await this.#load(`Reopening ${r.args.source} …`, () => this.#app.client.request('dataset.open', r.args), r);
    }
    if (!this.summary) removeKey(KEYS.dataset);
  }

  async #load(label: string, fn: () => Promise<DatasetOverview>, reopen: Reopen): Promise<void> {
    this.busy = label;
    this.#app.error = null;
    try {
      const s = await fn();
      this.summary = s;
      writeJson(KEYS.dataset, reopen);
      this.frame = null;
      this.preview = null;
      this.sourceFrame = null;
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

  /**
   * Reopens the open (single-video) data set with the crop typed in the form: the one step that decodes the drive
   * again. The typed crop is only drawn on the source frame until then.
   */
  async applyCrop(): Promise<void> {
    const s = this.summary;
    if (!s || s.videos) return;
    const c = this.form.crop;
    const crop = { top: cropSide(c.top), bottom: cropSide(c.bottom), left: cropSide(c.left), right: cropSide(c.right) };
    const { crop: _applied, ...spec } = s.spec;
    const anyCrop = crop.top + crop.bottom + crop.left + crop.right > 0;
    // Only the crop changes: the same video, labels, options and model input size (the Open form changes the rest).
    await this.open({ ...spec, ...(anyCrop ? { crop } : {}) });
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
    this.#requestSource(s.datasetId, seq);
  }

  /**
   * The source frame takes an ffmpeg decode (the cache holds only the model input): asked for once the scrubber has
   * rested SOURCE_DELAY_MS, and only the latest answer is kept.
   */
  #requestSource(datasetId: string, seq: number): void {
    if (this.#sourceTimer) clearTimeout(this.#sourceTimer);
    this.#sourceTimer = setTimeout(() => {
      this.#sourceTimer = null;
      if (seq !== this.#frameSeq) return;
      this.#app.client.request('dataset.sourceFrame', { datasetId, sample: this.sample }).then(
        (f) => { if (seq === this.#frameSeq) this.sourceFrame = f; },
        (e) => this.#app.fail(e),
      );
    }, SOURCE_DELAY_MS);
  }
}
