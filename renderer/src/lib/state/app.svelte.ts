/**
 * App-wide state: the contract client, which view is shown, the
 * installation info, the last long-task progress and the current error.
 */
import type { AppInfo, Client, Payload } from '../../../../src/contract/index.ts';
import type { HostApi } from '../../../../src/contract/preload-api.ts';
import { ColorRegistry } from '../colors.ts';

export type View = 'dataset' | 'experiment' | 'live' | 'compare' | 'run' | 'study';

export class AppState {
  readonly client: Client;
  readonly transport: 'ipc' | 'websocket';
  readonly host: HostApi | null;
  readonly colors = new ColorRegistry();
  view = $state<View>('dataset');
  connection = $state<'connecting' | 'open' | 'closed'>('connecting');
  info = $state.raw<AppInfo | null>(null);
  error = $state<string | null>(null);
  progress = $state.raw<Payload<'progress'> | null>(null);
  /** Run shown in Run detail. */
  runId = $state<string | null>(null);
  #offs: (() => void)[] = [];

  constructor(o: { client: Client; transport: 'ipc' | 'websocket'; host: HostApi | null }) {
    this.client = o.client;
    this.transport = o.transport;
    this.host = o.host;
    this.#offs.push(this.client.on('progress', (p) => (this.progress = p)));
  }

  async loadInfo(): Promise<void> {
    try {
      this.info = await this.client.request('app.info', {});
    } catch (err) {
      this.fail(err);
    }
  }

  /** Shows a failure as one line (the backend's UserError messages are written for people). */
  fail(err: unknown): void {
    this.error = err instanceof Error ? err.message : String(err);
  }

  show(view: View): void {
    this.view = view;
  }

  openRun(runId: string): void {
    this.runId = runId;
    this.view = 'run';
  }

  dispose(): void {
    this.#offs.forEach((f) => f());
  }
}
