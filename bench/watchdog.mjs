// Preloaded into the gateway process by bench/run.ts (`node --import bench/watchdog.mjs dist/main.js`)
// so that a benchmark that dies without cleaning up (SIGKILL, a crash) leaves no gateway behind:
// when the parent process is gone, ask the gateway to shut down as it would in production (SIGTERM),
// and exit anyway if that takes too long. A timer twice a second; it adds nothing per request.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid === parent) return;
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.exit(1), 15_000).unref();
}, 500).unref();
