/**
 * `loadstar` as a child process for the reliability suite: the real CLI
 * (proxy/cli.ts, so SIGHUP reloads and SIGTERM stops exactly as in production),
 * run from source with tsx, plus an IPC probe the parent asks for samples of
 * this process: RSS, heap and event-loop delay (perf_hooks), measured inside.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { main } from '../../../proxy/cli.ts';

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
process.on('message', (m) => {
  if (m !== 'sample' || !process.send) return;
  const mem = process.memoryUsage();
  process.send({
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    eventLoopDelayMeanMs: delay.mean / 1e6,
    eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
    eventLoopDelayMaxMs: delay.max / 1e6,
  });
  delay.reset();
});
const code = await main(process.argv.slice(2));
process.exit(code);
