/**
 * Entry point of a trial process (forked with an IPC channel by the local sweep and by `policygrad worker`): the
 * parent sends `{ type: 'start', task, imports }`, then possibly `{ type: 'stop' }`; every `TrialEvent` goes back
 * as a message. SIGINT and SIGTERM (Ctrl-C reaches the whole process group) stop the trial after a checkpoint,
 * as a stop message does. When the parent dies (the channel closes), the trial ends at once: nobody would
 * receive its results, and the queue hands the trial to another worker.
 */
// A fresh process starts with an empty env registry: this import registers every built-in env.
import '../../envs/builtin.js';
import { runTrial, type TrialEvent } from './trial.js';

let stopRequested = false;
const stop = () => {
  stopRequested = true;
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
const orphaned = () => process.exit(1);
process.on('disconnect', orphaned);

function send(event: TrialEvent): Promise<void> {
  return new Promise((resolve) => {
    if (process.connected) process.send?.(event, () => resolve());
    else resolve();
  });
}

process.on('message', (message: { type?: string; task?: unknown; imports?: unknown }) => {
  if (message?.type === 'stop') {
    stop();
    return;
  }
  if (message?.type !== 'start') return;
  const imports = Array.isArray(message.imports) ? message.imports.map(String) : [];
  const pending: Promise<void>[] = [];
  void runTrial(
    message.task,
    imports,
    (event) => pending.push(send(event)),
    () => stopRequested,
  ).then(async () => {
    await Promise.all(pending);
    process.off('disconnect', orphaned);
    process.disconnect();
  });
});
