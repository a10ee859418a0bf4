/**
 * `steerlab report <run-or-experiment-dir> [--json]`: prints the comparison
 * table (with conclusions and findings) and writes report.html plus
 * comparison.{json,csv,md} into that folder. A workspace folder reports
 * every run in it.
 */
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('report')
    .description('print the comparison table of a run or experiment folder and write its self-contained HTML report')
    .argument('<dir>', 'a run folder (runs/<id>), an experiment folder (experiments/<id>) or a workspace')
    .option('--json', 'print the comparison (rows, conclusions) and file paths as one JSON object')
    .action(async (dir: string, o: { json?: boolean }) => {
      const { publishReport } = await import('../../experiments/publish.ts');
      const r = publishReport(dir);
      if (o.json) {
        process.stdout.write(JSON.stringify({ ...r.comparison, paths: r.paths }) + '\n');
        return;
      }
      process.stdout.write(r.markdown + '\n');
      const unfinished = r.set.runs.filter((x) => x.state !== 'complete');
      if (unfinished.length) process.stdout.write(`unfinished runs: ${unfinished.map((x) => `${x.id} (${x.state})`).join(', ')}\n`);
      process.stdout.write(`report: ${r.paths.html}\n`);
    });
}
