import { afterAll, describe, expect, it } from 'vitest';
import { detectFormat, parseLabels } from '../../src/data/labels.ts';
import { readLabels } from '../../src/data/read-labels.ts';
import { tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('generic CSV/TSV', () => {
  it('reads frame_index,timestamp_s,steering_deg (the synthetic drive) keyed by frame, extras kept', async () => {
    const p = tmp.write('synth/labels.csv', 'frame_index,timestamp_s,steering_deg,speed\n0,0,-10.5,3\n1,0.05,0,3.5\n2,0.1,12.25,4\n');
    const ls = await readLabels(p);
    expect(ls.format).toBe('csv');
    expect(ls.key).toBe('frame');
    expect(ls.units).toBe('degrees');
    expect(ls.unitsInferred).toBe(false);
    expect(ls.rows.map((r) => r.steeringDeg)).toEqual([-10.5, 0, 12.25]);
    expect(ls.rows.map((r) => r.frameIndex)).toEqual([0, 1, 2]);
    expect(ls.rows[2].timeS).toBeCloseTo(0.1, 12);
    expect(ls.rows[1].extras).toEqual({ speed: 3.5 });
    expect(ls.rows.map((r) => r.line)).toEqual([2, 3, 4]);
  });

  it('reads a TSV with timestamps in ms, infers the time unit and says why', () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${1000 + i * 33.3}\t${(i - 25) * 2}`).join('\n');
    const ls = parseLabels(`timestamp\tangle\n${rows}\n`, 'log.tsv', { units: 'degrees' });
    expect(ls.key).toBe('time');
    expect(ls.rows[0].timeS).toBeCloseTo(1.0, 9);
    expect(ls.rows[1].timeS).toBeCloseTo(1.0333, 9);
    expect(ls.warnings.join(' ')).toMatch(/median spacing 33\.3 over 50 rows -> milliseconds/);
  });

  it('treats epoch nanosecond times as clock times relative to the first row', () => {
    const t0 = 1479425441182877835n;
    const text = 'time,steering\n' + [0, 1, 2].map((i) => `${t0 + BigInt(i) * 50_000_000n},${i * 10}`).join('\n');
    const ls = parseLabels(text, 'clock.csv', { units: 'degrees' });
    expect(ls.rows.map((r) => r.timeS)).toEqual([0, expect.closeTo(0.05, 6), expect.closeTo(0.1, 6)]);
    expect(ls.warnings.join(' ')).toMatch(/nanoseconds/);
    expect(ls.warnings.join(' ')).toMatch(/clock times/);
  });

  it('honours column, unit and sign options', () => {
    const text = 'when;wheel;rpm\n0;0.1;900\n0.5;-0.2;950\n';
    const ls = parseLabels(text, 'x.csv', { timeColumn: 'when', steeringColumn: 'wheel', units: 'radians', sign: 'positive-left', timeUnit: 's' });
    expect(ls.rows[0].steeringDeg).toBeCloseTo((-0.1 * 180) / Math.PI, 5);
    expect(ls.rows[1].steeringDeg).toBeCloseTo((0.2 * 180) / Math.PI, 5);
    expect(ls.rows[1].timeS).toBe(0.5);
    expect(ls.rows[1].extras).toEqual({ rpm: 950 });
    expect(ls.sign).toBe('positive-left');
  });

  it('maps normalised values with --full-scale and reads units from "(rad)" in a header', () => {
    const a = parseLabels('t,steer\n0,1\n1,-0.5\n', 'n.csv', { units: 'normalized', labelFullScaleDeg: 420 });
    expect(a.rows.map((r) => r.steeringDeg)).toEqual([420, -210]);
    const b = parseLabels('time,Steering Angle (rad)\n0,1.5\n1,-0.5\n', 'r.csv');
    expect(b.units).toBe('radians');
    expect(b.unitsInferred).toBe(false);
    expect(b.rows[0].steeringDeg).toBeCloseTo(85.9436692696, 6);
  });

  it('reads a header-less two-column log and says how it read it', () => {
    const ls = parseLabels('0,15\n1,20\n2,-30\n', 'two.csv');
    expect(ls.key).toBe('frame');
    expect(ls.rows.map((r) => r.frameIndex)).toEqual([0, 1, 2]);
    expect(ls.warnings.join(' ')).toMatch(/no header/);
  });
});

describe('Sully Chen data.txt', () => {
  it('reads both line styles, degrees, keyed by image, times from the stamp', async () => {
    const p = tmp.write('sully/data.txt', '0.jpg 3.5,2018-07-01 12:00:00:123\n1.jpg -12.1,2018-07-01 12:00:00:156\n2.jpg 0.0,2018-07-01 12:00:01:000\n');
    const ls = await readLabels(tmp.dir + '/sully');
    expect(ls.format).toBe('sully');
    expect(ls.key).toBe('image');
    expect(ls.units).toBe('degrees');
    expect(ls.rows.map((r) => [r.image, r.steeringDeg, r.frameIndex])).toEqual([
      ['0.jpg', 3.5, 0],
      ['1.jpg', -12.1, 1],
      ['2.jpg', 0, 2],
    ]);
    expect(ls.rows[1].timeS).toBeCloseTo(0.033, 9);
    expect(ls.rows[2].timeS).toBeCloseTo(0.877, 9);
    expect(p).toContain('data.txt');
  });

  it('detects the plain style from content under any name', () => {
    const text = '12.jpg 3.5\n13.jpg 4\n';
    expect(detectFormat('steer.txt', text)).toBe('sully');
    const ls = parseLabels(text, 'steer.txt');
    expect(ls.rows.map((r) => r.steeringDeg)).toEqual([3.5, 4]);
    expect(ls.rows[0].timeS).toBeUndefined();
  });
});

describe('Udacity simulator driving_log.csv', () => {
  const log =
    'C:\\Users\\me\\Desktop\\data\\IMG\\center_2016_12_01_13_30_48_287.jpg, C:\\Users\\me\\Desktop\\data\\IMG\\left_2016_12_01_13_30_48_287.jpg, C:\\Users\\me\\Desktop\\data\\IMG\\right_2016_12_01_13_30_48_287.jpg,0.2,0.5,0,22.1\n' +
    '/Users/me/data/IMG/center_2016_12_01_13_30_48_404.jpg,/Users/me/data/IMG/left_2016_12_01_13_30_48_404.jpg,/Users/me/data/IMG/right_2016_12_01_13_30_48_404.jpg,-1,0.4,0.1,21\n';

  it('reads absolute Windows/macOS paths as IMG/<name>, +-1 = +-25 deg, side cameras corrected', async () => {
    const p = tmp.write('sim/driving_log.csv', log);
    const ls = await readLabels(p, { sideCameraCorrectionDeg: 6 });
    expect(ls.format).toBe('udacity-sim');
    expect(ls.units).toBe('normalized');
    expect(ls.rows).toHaveLength(6);
    const [c, l, r] = ls.rows;
    expect(c.image).toBe('IMG/center_2016_12_01_13_30_48_287.jpg');
    expect(l.image).toBe('IMG/left_2016_12_01_13_30_48_287.jpg');
    expect(r.image).toBe('IMG/right_2016_12_01_13_30_48_287.jpg');
    expect(c.steeringDeg).toBeCloseTo(5, 9); // 0.2 * 25
    expect(l.steeringDeg).toBeCloseTo(11, 9); // left camera steers back right: +6
    expect(r.steeringDeg).toBeCloseTo(-1, 9);
    expect(ls.rows[3].steeringDeg).toBe(-25);
    expect(c.extras).toEqual({ throttle: 0.5, brake: 0, speed: 22.1 });
    expect(ls.rows[3].timeS).toBeCloseTo(0.117, 9);
  });

  it('drops side cameras when the correction is 0, and accepts a header line', () => {
    const ls = parseLabels('center,left,right,steering,throttle,brake,speed\n' + log, 'mylog.csv', { sideCameraCorrectionDeg: 0 });
    expect(ls.format).toBe('udacity-sim');
    expect(ls.rows.map((r) => r.camera)).toEqual(['center', 'center']);
  });
});

describe('Udacity challenge CSV', () => {
  it('frame_id,steering_angle: radians, positive-left -> degrees positive-right, image named by frame id', () => {
    const text = 'frame_id,steering_angle\n1479425441182877835,0.1\n1479425441232877835,-0.05\n';
    expect(detectFormat('final_example.csv', text)).toBe('udacity-challenge');
    const ls = parseLabels(text, 'final_example.csv');
    expect(ls.units).toBe('radians');
    expect(ls.key).toBe('image');
    expect(ls.rows[0].image).toBe('1479425441182877835.jpg');
    expect(ls.rows[0].steeringDeg).toBeCloseTo(-5.729577951, 6);
    expect(ls.rows[1].steeringDeg).toBeCloseTo(2.864788976, 6);
    expect(ls.rows[1].timeS).toBeCloseTo(0.05, 6);
  });

  it('interpolated.csv: filename column, side cameras by frame_id, extras', () => {
    const text =
      'index,timestamp,width,height,frame_id,filename,angle,torque,speed\n' +
      '0,1479425441182877835,640,480,center_camera,center/1479425441182877835.jpg,0.2,0.1,10\n' +
      '1,1479425441182877900,640,480,left_camera,left/1479425441182877900.jpg,0.2,0.1,10\n' +
      '2,1479425441232877835,640,480,center_camera,center/1479425441232877835.jpg,0,0.1,11\n';
    const ls = parseLabels(text, 'interpolated.csv', { sideCameraCorrectionDeg: 0 });
    expect(ls.format).toBe('udacity-challenge');
    expect(ls.rows.map((r) => r.image)).toEqual(['center/1479425441182877835.jpg', 'center/1479425441232877835.jpg']);
    expect(ls.rows[1].extras).toEqual({ width: 640, height: 480, torque: 0.1, speed: 11 });
  });

  it('steering.csv with ns timestamps is keyed by time', () => {
    const ls = parseLabels('timestamp,angle,torque,speed\n1479425441182877835,0.1,0,5\n1479425441202877835,0.2,0,5\n', 'steering.csv');
    expect(ls.format).toBe('udacity-challenge');
    expect(ls.key).toBe('time');
    expect(ls.rows[1].timeS).toBeCloseTo(0.02, 6);
  });
});

describe('DonkeyCar tub v2', () => {
  const manifest = [
    '["cam/image_array", "user/angle", "user/throttle", "user/mode"]',
    '["image_array", "float", "float", "str"]',
    '{}',
    '{"created_at": 1608241433.0, "sessions": {"all_full_ids": ["20-12-17_0"], "last_id": 0}}',
    '{"paths": ["catalog_0.catalog", "catalog_1.catalog"], "current_index": 4, "max_len": 2, "deleted_indexes": [1]}',
  ].join('\n');
  const rec = (i: number, a: number) =>
    JSON.stringify({ _index: i, _session_id: '20-12-17_0', _timestamp_ms: 1608241433000 + 50 * i, 'cam/image_array': `${i}_cam_image_array_.jpg`, 'user/angle': a, 'user/throttle': 0.3, 'user/mode': 'user' });

  it('reads the catalogs in manifest order, skips deleted records, full scale warned', async () => {
    tmp.write('tub/manifest.json', manifest);
    tmp.write('tub/catalog_0.catalog', rec(0, 0.5) + '\n' + rec(1, 0.9) + '\n');
    tmp.write('tub/catalog_1.catalog', rec(2, -1) + '\n' + rec(3, 0) + '\n');
    const ls = await readLabels(tmp.dir + '/tub');
    expect(ls.format).toBe('donkey');
    expect(ls.key).toBe('image');
    expect(ls.rows.map((r) => r.frameIndex)).toEqual([0, 2, 3]);
    expect(ls.rows.map((r) => r.image)).toEqual(['images/0_cam_image_array_.jpg', 'images/2_cam_image_array_.jpg', 'images/3_cam_image_array_.jpg']);
    expect(ls.rows.map((r) => r.steeringDeg)).toEqual([12.5, -25, 0]);
    expect(ls.rows[1].timeS).toBeCloseTo(0.1, 9);
    expect(ls.rows[0].extras).toEqual({ 'user/throttle': 0.3 });
    expect(ls.warnings.join(' ')).toMatch(/full scale of 25 deg; pass --full-scale/);
    const withScale = await readLabels(tmp.dir + '/tub/manifest.json', { labelFullScaleDeg: 30 });
    expect(withScale.rows[0].steeringDeg).toBe(15);
    expect(withScale.warnings).toEqual([]);
  });
});

describe('clock-time columns', () => {
  it('reads written date-times as times relative to the first row', () => {
    const ls = parseLabels('timestamp,steering_deg\n2018-07-01 12:00:00.100,1\n2018-07-01 12:00:00.150,2\n2018-07-01T12:00:01.100Z,3\n', 'clock.csv');
    expect(ls.rows.map((r) => r.timeS)).toEqual([0, expect.closeTo(0.05, 9), expect.closeTo(1, 9)]);
    expect(() => parseLabels('time,steering_deg\n2018-07-01 12:00:00.100,1\n12:00,2\n', 'clock2.csv')).toThrow(/^clock2\.csv line 3: time cell .*"12:00" is not a clock time/);
  });
});

describe('format detection', () => {
  it('a frame_id of small integers is a generic frame-indexed CSV, not the Udacity challenge', () => {
    const text = 'frame_id,steering_deg\n0,1\n1,2\n';
    expect(detectFormat('labels.csv', text)).toBe('csv');
    const ls = parseLabels(text, 'labels.csv');
    expect(ls.key).toBe('frame');
    expect(ls.rows.map((r) => r.steeringDeg)).toEqual([1, 2]);
  });
  it('names and shapes', () => {
    expect(detectFormat('driving_log.csv', '')).toBe('udacity-sim');
    expect(detectFormat('x/catalog_3.catalog', '')).toBe('donkey');
    expect(detectFormat('cat.jsonl', '{"_index": 0, "user/angle": 0.1}\n')).toBe('donkey');
    expect(detectFormat('data.txt', '')).toBe('sully');
    expect(detectFormat('steer.csv', 'time,steering\n0,1\n')).toBe('csv');
    expect(detectFormat('steer.csv', '')).toBe('csv');
  });
  it('the format option overrides detection', () => {
    const ls = parseLabels('timestamp,angle\n1,0.1\n2,0.2\n', 'x.csv', { format: 'udacity-challenge' });
    expect(ls.format).toBe('udacity-challenge');
    expect(ls.units).toBe('radians');
    expect(ls.sign).toBe('positive-left');
  });
});

describe('image column in a generic CSV', () => {
  it('keys by image when there is no frame column, paths normalised, duplicates refused', () => {
    const ls = parseLabels('filename,steering_deg,speed\nimgs\\a.png,1,5\nimgs\\b.png,-2,6\n', 'img.csv');
    expect(ls.key).toBe('image');
    expect(ls.rows.map((r) => r.image)).toEqual(['imgs/a.png', 'imgs/b.png']);
    expect(ls.rows[1].extras).toEqual({ speed: 6 });
    expect(() => parseLabels('image,steering_deg\na.png,1\na.png,2\n', 'dup.csv')).toThrow(/^dup\.csv line 3: image a\.png is already labelled on line 2/);
  });
});
