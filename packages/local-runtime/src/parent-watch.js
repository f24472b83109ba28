// Preloaded (--import) into every service process that local-runtime starts, never into
// an image. The starter keeps a pipe open on the child's stdin; when the starter dies by
// any means (Ctrl-C, SIGHUP, kill -9), the kernel closes the pipe and the child stops
// itself: SIGTERM to its own handler (drain, exit), SIGKILL if that takes too long.
// Nothing is left running by a lab or a test that did not get to clean up.
//
// Plain JavaScript on purpose: a .ts preload would load Node's type stripper into every
// service (about 18 MiB), so the benchmark would not see the images' memory.
if (!process.stdin.isTTY) {
  const stop = () => {
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 10_000).unref();
  };
  process.stdin.once('end', stop);
  process.stdin.once('error', stop);
  process.stdin.resume();
  // The pipe must not keep a service alive that is shutting down on its own.
  process.stdin.unref();
}
