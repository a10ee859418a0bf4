/**
 * The columns a label file offered when the lab recognised none of them as
 * the steering angle. The lab's one-line error lists them (data/csv-generic.ts
 * "no steering column found among: a, b; ...", data/udacity.ts "no angle
 * column among: ..."); the Data set form offers them in a select that sets
 * labelOptions.steeringColumn, the app's `--steering-column`.
 */

const NO_STEERING = /no (?:steering|angle) column (?:found )?among: (.*?)(?:;|$)/;
/** A chosen steering column the next file lacks (csv-generic.ts findColumn): its columns, to choose again. */
const NO_SUCH_STEERING = /no column named ".*?" for the steering \(columns: (.*?)\)/;

/** The header columns named by a "no steering column" error, or null when the message is another error. */
export function steeringColumnsOf(message: string | null | undefined): string[] | null {
  const m = message ? (NO_STEERING.exec(message) ?? NO_SUCH_STEERING.exec(message)) : null;
  if (!m) return null;
  const cols = m[1].split(', ').map((c) => c.trim()).filter((c) => c !== '');
  return cols.length ? [...new Set(cols)] : null;
}
