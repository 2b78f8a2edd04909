// `sda ... | head` closes our stdout early: the next write fails with EPIPE, which Node raises as an unhandled
// 'error' event and a stack trace. A reader that stops reading is not an error of ours, so every command exits at
// once, quietly, with status 0 (the output it wanted was delivered). Any other stream error is still raised.

/**
 * Installs the handlers on process.stdout and process.stderr (idempotent). Call once, before anything is written.
 * @param exit how to leave (tests pass their own); default process.exit(0)
 */
export function exitQuietlyOnClosedPipe(exit: (code: number) => void = (code) => process.exit(code)): void {
  for (const stream of [process.stdout, process.stderr]) {
    if ((stream as NodeJS.WriteStream & { sdaPipeGuard?: boolean }).sdaPipeGuard) continue;
    (stream as NodeJS.WriteStream & { sdaPipeGuard?: boolean }).sdaPipeGuard = true;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
        exit(0);
        return;
      }
      throw err;
    });
  }
}
