/** Ctrl-C (SIGINT) and SIGTERM while a command's work runs: `onSignal` is called, the handlers leave with the work. */
export async function handlingSignals<T>(
  onSignal: (signal: NodeJS.Signals) => void,
  work: () => Promise<T>,
): Promise<T> {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
