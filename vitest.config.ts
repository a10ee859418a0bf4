import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test files for the slow lane: they spawn ffmpeg, Chromium, Python, redis,
 * clang or the CLI itself, or took 3 s or more in a measured full run. Every
 * other test file is in the fast lane (`npm run test:fast`, under 60 s on
 * 2 cores): a new test that needs one of those tools, or takes seconds, is
 * listed here.
 */
const SLOW = [
  'test/e2e/**', // Chromium against `steerlab serve`
  'test/faults/**', // fault injection: damaged videos and checkpoints, full disks, dead processes
  'test/synth/**', // renders and encodes drives with ffmpeg
  'test/bench/bench.test.ts',
  'test/bench/e2e.test.ts',
  // The CLI in a child process (tsx start-up and tfjs load per call).
  'test/cli/compare.test.ts',
  'test/cli/autonomy-flags.test.ts', // the autonomy flags on a tiny compare
  'test/cli/demo.test.ts',
  'test/cli/doctor.test.ts',
  'test/cli/inspect.test.ts',
  'test/cli/lag.test.ts',
  'test/cli/multi-video.test.ts',
  'test/cli/synth.test.ts',
  'test/cli/train-run.test.ts',
  'test/cli/train.test.ts',
  'test/server/serve-cli.test.ts',
  'test/studies/cli.test.ts',
  'test/engine/kernels-build.test.ts', // clang, wasm-ld
  'test/engine/register-kernels.test.ts', // PilotNet training steps on two backends
  'test/engine/parallel.test.ts', // gradient worker threads, each loading tfjs
  'test/engine/pool.test.ts',
  'test/experiments/multi-video.test.ts',
  'test/experiments/runner-workers.test.ts',
  'test/experiments/runner.test.ts',
  'test/lab/resume.test.ts', // trains tiny grids, runs `compare --resume` in a child process
  'test/lab/queue/queue.test.ts', // redis-server and `steerlab worker` processes
  'test/faults/memory-cli.test.ts', // runs the CLI in a child process
  'test/main/main.test.ts',
  'test/reference/python.test.ts',
  'test/render/render.test.ts', // trains a run, renders and probes videos with ffmpeg
  'test/saliency/run.test.ts', // trains a run through the CLI
  'test/reference/reference.test.ts',
  'test/host/backend.test.ts',
  'test/host/source-frame.test.ts', // ffmpeg decodes one source frame
  'test/host/studies.test.ts',
  'test/host/running.test.ts', // trains on a demo drive to re-attach to
  'test/host/resume-export.test.ts', // trains, cancels and resumes a tiny grid
  'test/studies/deep-cnn-gradients.test.ts',
  'test/studies/init-activation.test.ts',
  'test/studies/output-head.test.ts',
  'test/studies/relu-blowup.test.ts',
  'test/studies/relu-blowup-quick.test.ts', // trains the quick preset's MNIST nets
  'test/train/hard-preset.test.ts',
  'test/train/kill-resume.test.ts', // kills a training child process
  // ffmpeg decodes and probes (crop-suggest is pure arithmetic).
  'test/video/bad-input.test.ts',
  'test/video/cache-writer.test.ts',
  'test/video/crash.test.ts',
  'test/video/dataset.test.ts',
  'test/video/decode.test.ts',
  'test/video/early-stop.test.ts',
  'test/video/ffmpeg.test.ts',
  'test/video/frame-times.test.ts',
  'test/video/lend.test.ts',
  'test/video/multi.test.ts',
  'test/video/probe-overlap.test.ts',
  'test/video/sample.test.ts',
];

// forks: tfjs backends and ffmpeg children are process-global, so the slow lane isolates each file.
// `npm test` runs both projects, each file once; `--project fast|slow` runs one.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'fast', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...SLOW],
          // Files share a worker's modules: loading tfjs once per worker, not once per file, cut the lane from
          // 165 s to 48 s (measured on a loaded 2-core machine). Each file sets the engine it needs in beforeAll.
          isolate: false,
          // Unit tests take milliseconds to a few seconds: timeouts with room for a busy machine, not a minute.
          testTimeout: 15_000, hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        // Child processes, real training and decoding: a minute per test unless a test says otherwise.
        test: {
          name: 'slow', include: SLOW.map((p) => (p.endsWith('/**') ? `${p}/*.test.ts` : p)), testTimeout: 60_000, hookTimeout: 120_000,
          // The renderer is built once, before any file runs (e2e files in parallel must not rebuild it under each other).
          globalSetup: ['test/e2e/global-setup.ts'],
        },
      },
    ],
  },
});
