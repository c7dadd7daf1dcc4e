/**
 * Runs a server's agent (agent.ts) on its own timer and applies each answer
 * in HAProxy's order: admin state first (so a server coming back can take its
 * new health), then weight, maxconn, and last the health word. Each goes
 * through the backend's setters (RuntimeBackend, the one writer of server
 * state), so the agent changes a server exactly as `set server` does.
 * The agent keeps running in maintenance: only it can take the server out of
 * a "maint" it asked for.
 */
import { PeriodicRun } from './periodic.ts';
import { agentInfo, agentMaxconn, agentWeight, parseAgentReply, readAgent } from './agent.ts';
import type { AgentExchange, AgentSettings } from './agent.ts';
import type { ServerCheck } from './checker.ts';
import type { CheckResult } from './types.ts';

export class AgentCheck {
  /** The last exchange's result (HAProxy's agent_status / agent_desc). */
  last: CheckResult | undefined;
  /** An exchange is running now (HAProxy's CHK_ST_INPROGRESS: "* " before `show stat`'s agent_status). */
  inProgress = false;
  private readonly timer: PeriodicRun;
  /** Stopped for good (engine stop, replaced on reload): answers in flight are dropped. */
  private retired = false;
  /** `disable agent`: not asking until start() again; answers in flight are dropped. */
  private paused = false;

  constructor(
    private readonly check: ServerCheck,
    readonly settings: AgentSettings,
    spreadPercent: number,
  ) {
    this.timer = new PeriodicRun(() => this.runOnce(), () => settings.inter, spreadPercent);
  }

  start(firstDelay = Math.floor(Math.random() * this.settings.inter)): void {
    this.paused = false;
    this.timer.start(firstDelay);
  }

  /** `disable agent`: stops asking until start(). */
  pause(): void {
    this.paused = true;
    this.timer.stop();
  }

  stop(): void {
    this.retired = true;
    this.timer.stop();
  }

  /** Asks the agent once and applies its answer. */
  async runOnce(): Promise<AgentExchange> {
    this.check.server.stats.checkRuns++;
    this.inProgress = true;
    let exchange: AgentExchange;
    try {
      exchange = await readAgent(this.settings);
    } finally {
      this.inProgress = false;
    }
    if (this.retired || this.paused) return exchange;
    this.apply(exchange);
    return exchange;
  }

  /** Applies one exchange; without a complete line nothing changes. */
  apply(exchange: AgentExchange): void {
    this.last = exchange.result;
    if (exchange.line === undefined) return this.check.agentResult(exchange.result);
    const reply = parseAgentReply(exchange.line);
    const { backend, server } = this.check;
    if (reply.admin) backend.setServerAdmin(server, reply.admin);
    let warning: string | undefined;
    if (reply.weight !== undefined) {
      const w = agentWeight(reply.weight, server.config.options.weight);
      if (typeof w === 'string') warning = w;
      else backend.setServerWeight(server, w);
    }
    if (reply.maxconn !== undefined) {
      const m = agentMaxconn(reply.maxconn);
      if (typeof m === 'string') warning ??= m;
      else backend.setServerMaxconn(server, m);
    }
    const result = exchange.result;
    if (reply.health !== undefined) {
      const up = reply.health.toLowerCase() === 'up';
      // HAProxy reports the agent's verdict as L7OK / L7STS with code 0.
      this.last = { ...result, code: up ? 'L7OK' : 'L7STS', status: 0, info: agentInfo(reply, warning) };
      this.check.agentVerdict(up, this.last);
    } else if (reply.error !== undefined) {
      this.last = { ...result, info: `agent reports an error : ${reply.error}` };
    } else if (warning !== undefined) {
      this.last = { ...result, info: `agent warns : ${warning}` };
    }
  }
}
