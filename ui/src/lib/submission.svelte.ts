// A form's request in flight, the same way in every form: `busy` while it runs (its submit
// button disabled and relabelled), `problem` the message of the typed error it failed with,
// shown above the buttons until the next attempt.

import { messageOf } from './messages.js';

export class Submission {
  busy = $state(false);
  problem = $state<string | null>(null);

  /** Runs the request unless one is already running; true when it succeeded. */
  async run(request: () => Promise<unknown>): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.problem = null;
    try {
      await request();
      return true;
    } catch (err) {
      this.problem = messageOf(err);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
