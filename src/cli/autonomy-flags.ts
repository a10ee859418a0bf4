/**
 * The closed-loop autonomy estimate's settings (targets/autonomy.ts) as
 * command-line flags, for every command that trains runs and reports their
 * autonomy (train, compare, demo). Without a flag a setting comes from the
 * config file's "autonomy" section, else its documented default; a flag wins
 * over the config file. Every bad value is a one-line UserError naming the
 * flag, raised before anything slow starts.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { AUTONOMY_DEFAULTS } from '../targets/autonomy.ts';
import type { AutonomySettings } from '../targets/metrics-types.ts';
import type { RunConfigInput } from '../train/config.ts';

interface AutonomyFlag {
  /** The setting it sets (AutonomySettings, metrics-types.ts). */
  key: keyof AutonomySettings;
  flag: string;
  /** Commander's camelCase key of the flag's value. */
  opt: string;
  /** The value's placeholder in --help, and its unit in words for errors. */
  arg: string;
  unit: string;
  /** 0 is allowed (a cost), or the value must be above 0. */
  zeroOk: boolean;
  help: (d: AutonomySettings) => string;
}

const FLAGS: readonly AutonomyFlag[] = [
  {
    key: 'thresholdM', flag: '--autonomy-threshold', opt: 'autonomyThreshold', arg: '<m>', unit: 'metres', zeroOk: false,
    help: (d) => `autonomy estimate: lateral offset from the recorded path, in metres, at which the simulated safety driver takes over (default ${d.thresholdM} m)`,
  },
  {
    key: 'defaultSpeedMps', flag: '--autonomy-speed', opt: 'autonomySpeed', arg: '<m/s>', unit: 'metres per second', zeroOk: false,
    help: (d) => `autonomy estimate: speed in m/s where the labels carry none (default ${d.defaultSpeedMps} m/s = ${Math.round(d.defaultSpeedMps * 3.6)} km/h)`,
  },
  {
    key: 'steeringRatio', flag: '--autonomy-steering-ratio', opt: 'autonomySteeringRatio', arg: '<ratio>', unit: 'steering-wheel degrees per road-wheel degree', zeroOk: false,
    help: (d) => `autonomy estimate: steering-wheel degrees per road-wheel degree (default ${d.steeringRatio})`,
  },
  {
    key: 'wheelbaseM', flag: '--autonomy-wheelbase', opt: 'autonomyWheelbase', arg: '<m>', unit: 'metres', zeroOk: false,
    help: (d) => `autonomy estimate: distance between the axles in metres (default ${d.wheelbaseM} m)`,
  },
  {
    key: 'interventionCostS', flag: '--autonomy-intervention-cost', opt: 'autonomyInterventionCost', arg: '<s>', unit: 'seconds', zeroOk: true,
    help: (d) => `autonomy estimate: seconds charged per intervention, taking over and handing back (default ${d.interventionCostS} s, PilotNet's)`,
  },
  {
    key: 'maxStepS', flag: '--autonomy-max-gap', opt: 'autonomyMaxGap', arg: '<s>', unit: 'seconds', zeroOk: false,
    help: (d) => `autonomy estimate: a gap between frames longer than this many seconds is a cut in the recording, where the car is put back on the path (default ${d.maxStepS} s)`,
  },
];

/** Adds the autonomy flags; a bad value fails before the action runs. */
export function addAutonomyFlags(cmd: Command): Command {
  cmd.hook('preAction', (_cmd, action) => {
    autonomyFromFlags(action.opts());
  });
  for (const f of FLAGS) cmd.option(`${f.flag} ${f.arg}`, f.help(AUTONOMY_DEFAULTS));
  return cmd;
}

/** The settings the flags give (only those passed). Throws a UserError naming the flag on a bad value. */
export function autonomyFromFlags(o: Record<string, unknown>): Partial<AutonomySettings> {
  const out: Partial<AutonomySettings> = {};
  for (const f of FLAGS) {
    const v = o[f.opt];
    if (v === undefined) continue;
    const x = Number(v);
    if (String(v).trim() === '' || !Number.isFinite(x) || (f.zeroOk ? x < 0 : x <= 0)) {
      throw new UserError(`${f.flag} must be a ${f.zeroOk ? 'non-negative' : 'positive'} number of ${f.unit} (got '${String(v)}')`);
    }
    out[f.key] = x;
  }
  return out;
}

/** The base config with the autonomy flags laid over its "autonomy" section (flags win over the config file). */
export function applyAutonomyFlags(base: RunConfigInput, o: Record<string, unknown>): RunConfigInput {
  const flags = autonomyFromFlags(o);
  return Object.keys(flags).length === 0 ? base : { ...base, autonomy: { ...base.autonomy, ...flags } };
}
