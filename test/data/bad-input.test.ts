import { afterAll, describe, expect, it } from 'vitest';
import { parseLabels, parseDonkeyTub } from '../../src/data/labels.ts';
import { readLabels } from '../../src/data/read-labels.ts';
import { UserError } from '../../src/errors.ts';
import type { LabelOptions } from '../../src/data/types.ts';
import { tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** [file name, content, options, expected message]: the message must start with "<file> line <n>: " and give a fix. */
const cases: [string, string, LabelOptions, RegExp][] = [
  ['nan.csv', 'time,steering\n0,1.5\n0.1,NaN\n', {}, /^nan\.csv line 3: steering cell \(column "steering"\) is NaN; fix the cell or delete the row$/],
  ['empty-cell.csv', 'time,steering\n0,1.5\n0.1,\n0.2,3\n', {}, /^empty-cell\.csv line 3: steering cell .* is empty; /],
  ['text-cell.csv', 'time,steering\n0,1.5\n0.1,2\n0.2,abc\n', {}, /^text-cell\.csv line 4: steering cell .*"abc" is not a number; /],
  ['partial-number.csv', 'time,steering\n0,12abc\n', {}, /^partial-number\.csv line 2: .*"12abc" is not a number/],
  ['bad-time.csv', 'time,steering\n0,1\nnoon,2\n', {}, /^bad-time\.csv line 3: time cell .*"noon" is not a number/],
  ['backwards.csv', 'time_s,steering\n0,1\n0.2,2\n0.1,3\n', {}, /^backwards\.csv line 4: time \(column "time_s", s\) 0\.1 is earlier than line 3 \(0\.2\); sort the rows by time and remove duplicate rows$/],
  ['dup-time.csv', 'timestamp_ms,angle_deg\n0,1\n33,2\n33,3\n', {}, /^dup-time\.csv line 4: time .* 33 duplicates line 3 \(33\); sort the rows/],
  ['dup-frame.csv', 'frame,steering_deg\n0,1\n1,2\n1,3\n', {}, /^dup-frame\.csv line 4: frame 1 \(column "frame"\) duplicates line 3; keep one row per frame$/],
  ['frac-frame.csv', 'frame,steering_deg\n0,1\n1.5,2\n', {}, /^frac-frame\.csv line 3: frame index 1\.5 is not a whole number/],
  ['short-row.csv', 'time,speed,steering\n0,1,2\n0.1,5\n', {}, /^short-row\.csv line 3: has 2 cells but the steering column "steering" is column 3; add the missing cells/],
  ['no-steering.csv', 'time,speed\n0,1\n', {}, /^no-steering\.csv line 1: no steering column found among: time, speed; name it "steering" or pass --steering-column NAME$/],
  ['no-key.csv', 'speed,steering\n0,1\n', {}, /^no-key\.csv line 1: no time, frame or image column found among: speed, steering; name one/],
  ['wrong-option.csv', 'time,steering\n0,1\n', { steeringColumn: 'wheel' }, /^wrong-option\.csv line 1: no column named "wheel" .*columns: time, steering/],
  ['quote.csv', 'time,steering\n0,"1\n0.1,2\n', {}, /^quote\.csv line \d: cannot read the table .*; fix the quoting/],
  ['data.txt', '0.jpg 1.5\n1.jpg nan\n', {}, /^data\.txt line 2: steering angle is NaN; fix the angle or delete the line$/],
  ['data.txt', '0.jpg 1.5\n\n1.jpg 2,yesterday\n', {}, /^data\.txt line 3: time "yesterday" is not "YYYY-MM-DD hh:mm:ss:mmm"/],
  ['data.txt', '0.jpg 1.5\n0.jpg 2\n', {}, /^data\.txt line 2: image 0\.jpg is already labelled on line 1/],
  ['driving_log.csv', 'IMG/c1.jpg,IMG/l1.jpg,IMG/r1.jpg,0.1,0,0,1\nIMG/c2.jpg,IMG/l2.jpg,IMG/r2.jpg,,0,0,1\n', {}, /^driving_log\.csv line 2: steering cell \(column 4\) is empty/],
  ['final.csv', 'frame_id,steering_angle\n1479425441182877835,0.1\n1479425441232877835,x\n', {}, /^final\.csv line 3: angle cell .*"x" is not a number/],
  ['steering.csv', 'timestamp,angle\n1479425441232877835,0.1\n1479425441182877835,0.2\n', {}, /^steering\.csv line 3: timestamp \(ns\) .* is earlier than line 2/],
  ['catalog_0.catalog', '{"_index": 0, "user/angle": 0.1}\n{"_index": 1, "user/angle": null}\n', {}, /^catalog_0\.catalog line 2: "user\/angle" is null, not a number; fix or delete the record$/],
  ['catalog_0.catalog', '{"_index": 0, "user/angle": 0.1}\n{"_index": 1, "user/an\n', {}, /^catalog_0\.catalog line 2: is not valid JSON; delete the broken record/],
  ['header-only.csv', 'time,steering\n', {}, /^header-only\.csv: the label file has a header but no rows; add data rows/],
  ['empty.csv', '', {}, /^empty\.csv: the label file is empty; pass a file with a header line/],
  ['blank.txt', '\n  \n', {}, /^blank\.txt: the label file is empty/],
  ['video.mp4', '\u0000\u0000\u0000 ftypisom', {}, /^video\.mp4: this is not a text label file \(it contains binary data\); pass the steering log/],
  ['normalized.csv', 'time,steering\n0,0.5\n', { units: 'normalized' }, /^normalized\.csv: .* no full scale is known; pass --full-scale DEG/],
  // Not a label file at all (a system file given by mistake): said without repeating its content.
  ['passwd', 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n', {}, /^passwd line 1: this is not a label table: line 1 is not a header of named columns[^:]*; give a label file/],
];

describe('bad label input -> one-line UserError naming the file, the line and the fix', () => {
  cases.forEach(([name, text, opts, re], i) => {
    it(`${name} #${i}`, async () => {
      // Through the file system (the path has spaces and non-ASCII) and through the pure parser.
      const p = tmp.write(`case${i}/${name}`, text);
      const err = await readLabels(p, opts).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toContain('\n');
      expect(() => parseLabels(text, name, opts)).toThrow(re);
    });
  });

  it('a tub with a broken manifest names manifest.json and the line', () => {
    expect(() => parseDonkeyTub('["a"]\n{"paths": [\n', [], {})).toThrow(/^manifest\.json line 2: is not valid JSON/);
    expect(() => parseDonkeyTub('["a"]\n{}\n', [], {})).toThrow(/^manifest\.json: no line with "paths"/);
  });

  it('never quotes a non-label file back, and refuses a FIFO at once instead of blocking on it', async () => {
    const err = await readLabels(tmp.write('secret/passwd', 'root:x:0:0:root:/root:/bin/bash\n')).catch((e: Error) => e);
    expect((err as Error).message).not.toContain('root');
    const { execFileSync } = await import('node:child_process');
    const fifo = `${tmp.dir}/labels.fifo`;
    execFileSync('mkfifo', [fifo]);
    await expect(readLabels(fifo)).rejects.toThrow(/labels\.fifo: not a regular file; give a label file/);
  });

  it('a missing path or a folder without labels says what was looked for', async () => {
    await expect(readLabels(tmp.dir + '/nope.csv')).rejects.toThrow(/nope\.csv: no such label file or folder; check the path/);
    tmp.write('empty-folder/readme.md', 'x');
    await expect(readLabels(tmp.dir + '/empty-folder')).rejects.toThrow(/no label file found \(looked for manifest\.json, driving_log\.csv, data\.txt/);
  });
});
