/**
 * Parsing speed of the configuration language: a generated configuration with
 * 1,000 backends of 10 servers each (plus a frontend routing to all of them),
 * parsed, provisioned and validated. Prints the median of several runs.
 * Run: npm run bench:parse
 */
import { parseConfig } from '../proxy/config/index.ts';

export function generateLargeConfig(backends = 1000, serversPerBackend = 10): string {
  const lines = [
    'global', '    maxconn 50000', '',
    'defaults', '    mode http', '    timeout connect 5s', '    timeout client 30s', '    timeout server 30s', '',
    'frontend main', '    bind 127.0.0.1:8080',
  ];
  for (let b = 0; b < backends; b++) {
    lines.push(`    acl host_${b} hdr(host) -i app${b}.home.arpa`, `    use_backend be_${b} if host_${b}`);
  }
  lines.push('    default_backend be_0', '');
  for (let b = 0; b < backends; b++) {
    lines.push(`backend be_${b}`, '    balance roundrobin', '    option httpchk GET /health');
    for (let s = 0; s < serversPerBackend; s++) {
      lines.push(`    server s${s} 127.0.${b % 250}.${s + 1}:${8000 + s} check inter 2s fall 3 rise 2 weight ${s + 1}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function main(): void {
  const text = generateLargeConfig();
  const runs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = process.hrtime.bigint();
    const r = parseConfig([{ name: 'large.cfg', text }]);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (!r.ok) throw new Error('generated configuration is invalid');
    runs.push(ms);
  }
  runs.sort((a, b) => a - b);
  const lines = text.split('\n').length;
  console.log(`parse 1,000 backends x 10 servers (${lines} lines, ${(text.length / 1024).toFixed(0)} KiB):`);
  console.log(`  first run ${runs[runs.length - 1]!.toFixed(1)} ms (includes JIT warm-up), median ${runs[3]!.toFixed(1)} ms, best ${runs[0]!.toFixed(1)} ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
