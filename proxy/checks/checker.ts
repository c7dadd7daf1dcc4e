/**
 * Runs one server's active check on its timer and applies the results: the
 * state machine (state.ts) decides transitions; a transition flips the
 * server's `usable` through its backend (the one writer of server state), which
 * tells the balancer and lets a server coming back take the
 * backend's queued requests, logs HAProxy's line and records the event.
 * With `agent-check` an AgentCheck (agent-check.ts) runs beside it and reports
 * through the backend's setters and agentVerdict.
 */
import { PeriodicRun } from './periodic.ts';
import { followTrackers } from './track.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { DnsAdminCause, RuntimeServer, ServerAdmin, ServerHealth } from '../runtime/server.ts';
import { slowstartSixteenths } from '../balance/index.ts';
import { HealthState } from './state.ts';
import type { OperationalState } from './state.ts';
import { Ring, EVENT_HISTORY, RESULT_HISTORY, transitionMessage, checkLogMessage, adminMessage } from './events.ts';
import { AgentCheck } from './agent-check.ts';
import { externalCheckRunner } from './external.ts';
import { checkSampleContext } from './check-format.ts';
import type { SampleContext } from '../acl/index.ts';
import type { BackendCounts, HealthEvent } from './events.ts';
import { outcomeOf } from './types.ts';
import type { CheckResult, CheckTarget } from './types.ts';
import type { CheckSettings } from './settings.ts';
import type { SyslogLevel } from '../config/model.ts';

/**
 * Where state-change lines go (the engine's logger alerts). `mail`: HAProxy also hands the line to
 * its e-mail alerts (send_email_alert), at this syslog level, for this backend's `email-alert`.
 */
export type HealthNotify = (message: string, event?: HealthEvent, mail?: MailedLine) => void;

export interface MailedLine {
  backend: string;
  level: SyslogLevel;
}


/**
 * runtime/ declares only what the running tables need of a server's check
 * (ServerHealth) and never imports this layer above it. ServerCheck is its one
 * implementation, so to the layers that know checks (stats, control, tests)
 * the server's check also shows its state and history.
 */
declare module '../runtime/server.ts' {
  interface ServerHealth extends Pick<ServerCheck, 'state' | 'events' | 'results' | 'count' | 'failedChecks' | 'inProgress' | 'settings' | 'agent' | 'healthEnabled' | 'agentEnabled' | 'paused' | 'restoredStatus' | 'setHealthEnabled' | 'setAgentEnabled' | 'forceHealth' | 'forceAgent'> {}
}

export class ServerCheck implements ServerHealth {
  readonly state: HealthState;
  /** State transitions, oldest first (the health timeline). */
  readonly events = new Ring<HealthEvent>(EVENT_HISTORY);
  /** Every check result, for latency graphs. */
  readonly results = new Ring<CheckResult>(RESULT_HISTORY);
  /** Checks run so far. */
  count = 0;
  /**
   * Failed checks that counted (HAProxy's failed_checks, `show stat` chkfail): a failure while the
   * check's health was above 0, as set_server_check_status counts them. Failures of a server already
   * DOWN do not count, nor does an agent's "down" (tcpcheck_agent_expect_reply zeroes its health first).
   */
  failedChecks = 0;
  /** A check is running now (HAProxy's CHK_ST_INPROGRESS: "* " before `show stat`'s check_status). */
  inProgress = false;
  /**
   * The regular check is administratively enabled (HAProxy's CHK_ST_ENABLED): false once a
   * server-state file said `disable health` (disableHealth): it never runs, and the status column
   * says "no check" (or DOWN) as for a server without one.
   */
  healthEnabled = true;
  /** The agent is enabled: false once a server-state file said `disable agent` (disableAgent). */
  agentEnabled = true;
  /**
   * HAProxy's CHK_ST_PAUSED (`show servers state`): set when the server enters maintenance with its
   * check enabled, or by `disabled`; cleared when it leaves with its check enabled. A server `add
   * server` made starts in maintenance without it (SRV_ADMF_FMAINT is set before any check exists).
   */
  paused: boolean;
  /**
   * The check status and result a server-state file saved (HCHK_STATUS_*, CHK_RES_* numbers),
   * shown by `show servers state` until this process's first check has a result.
   */
  restoredStatus: { status: number; result: number } | undefined;
  /** The check's own timer: inter, fastinter or downinter from the state, spread by `spread-checks`. */
  private readonly timer: PeriodicRun;
  private slowstartTimer: NodeJS.Timeout | undefined;
  /** Stopped for good (engine stop, replaced on reload): results in flight are dropped. */
  private retired = false;
  /** `agent-check`: the auxiliary agent, if configured. */
  readonly agent: AgentCheck | undefined;
  /** What the check's log-format strings are rendered with. */
  readonly sample: SampleContext;
  /** `option external-check`: runs the command, one process at a time. */
  private readonly external: ReturnType<typeof externalCheckRunner> | undefined;

  constructor(
    readonly backend: RuntimeBackend,
    readonly server: RuntimeServer,
    readonly settings: CheckSettings,
    private readonly notify: HealthNotify,
  ) {
    // In maintenance from the start (`disabled`, DNS gave no address yet, a server `add server` placed): stopped, health 0, as HAProxy's.
    const startsInMaint = server.config.options.disabled || server.resolutionMaint !== undefined || server.admin === 'MAINT';
    this.state = new HealthState(settings.timings, startsInMaint, server);
    this.paused = startsInMaint && !server.config.dynamic;
    this.timer = new PeriodicRun(
      async () => { if (this.state.admin !== 'MAINT') await this.runOnce(); },
      () => this.state.interval(),
      settings.spreadPercent,
    );
    this.state.checked = settings.active;
    if (settings.agent) {
      this.state.agentHealth = 1;
      this.agent = new AgentCheck(this, settings.agent, settings.spreadPercent);
    }
    this.sample = checkSampleContext({
      backend: backend.name,
      ...(backend.config.id !== undefined ? { backendId: backend.config.id } : {}),
      server: server.name,
      serverId: server.id,
    });
    if (settings.external) this.external = externalCheckRunner(settings.external, (message) => notify(message));
    server.check = this;
  }

  /**
   * Takes over the same server from before a reload: its history always, and
   * its admin state (drain/maint set at runtime) unless the configuration now
   * says `disabled` — as HAProxy's server-state file does, matched by name.
   * Its health (UP/DOWN, the rise/fall counter, the agent's verdict) only when
   * it is still checked where it was: the health belongs to that address, so
   * a server moved by the reload (a rollback back to a good address, a move to
   * a dead one) starts as a new server does, UP at health=rise, confirmed or
   * refuted by its first checks, and its timeline says why.
   */
  adopt(previous: ServerCheck): void {
    const configuredMaint = this.state.admin === 'MAINT';
    const fromLabel = previous.state.label();
    const was = previous.checkedAt();
    const now = this.checkedAt();
    // A maintenance from `disabled`, or from DNS (the new resolvers decide again), is not carried.
    const maintFromConfig = previous.state.admin === 'MAINT' && (previous.server.config.options.disabled || previous.server.resolutionMaint !== undefined);
    if (!configuredMaint && !maintFromConfig) {
      this.backend.carryServerAdmin(this.server, previous.state.admin);
      this.paused = previous.paused;
    }
    if (was === now) {
      this.state.op = previous.state.op;
      this.state.health = Math.min(previous.state.health, this.state.full);
      if (this.state.health >= this.state.timings.rise) this.state.health = this.state.full;
      if (this.state.agentHealth !== undefined && previous.state.agentHealth !== undefined) this.state.agentHealth = previous.state.agentHealth;
    } else if (this.state.admin === 'MAINT') {
      // As entering maintenance does (adminChanged): leaving it starts over at rise.
      this.state.health = 0;
    }
    for (const e of previous.events.toArray()) this.events.push(e);
    for (const r of previous.results.toArray()) this.results.push(r);
    this.count = previous.count;
    this.failedChecks = previous.failedChecks;
    // A check or agent a server-state file disabled stays so, as the state it saved would say again.
    if (!previous.healthEnabled && previous.settings.active && this.settings.active) this.disableHealth();
    if (!previous.agentEnabled && this.agent) {
      this.disableAgent();
      this.agentHealthOff = previous.agentHealthOff;
    }
    this.restoredStatus = previous.restoredStatus;
    this.backend.carryServerUsable(this.server, this.state.usable);
    if (was !== now) {
      this.events.push({
        time: Date.now(),
        backend: this.backend.name,
        server: this.server.name,
        from: fromLabel,
        to: this.state.label(),
        reason: `${this.server.backup ? 'Backup ' : ''}Server ${this.backend.name}/${this.server.name} moved by a reload from ${was} to ${now}: its health starts over as a new server's.`,
      });
    }
  }

  /** Where this server is reached and checked: its address, and its check's and agent's when they differ. */
  private checkedAt(): string {
    const at = (t: { host: string; port: number; path?: string }) => t.path ?? `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
    const server = this.server.path ?? at(this.server);
    let where = server;
    if (this.settings.active && at(this.settings.target) !== server) where += ` (check ${at(this.settings.target)})`;
    if (this.settings.agent) where += ` (agent ${at(this.settings.agent.target)})`;
    return where;
  }

  label(): string {
    return this.state.label();
  }

  get down(): boolean {
    return this.state.op === 'DOWN';
  }

  get stopping(): boolean {
    return this.state.op === 'NOLB';
  }

  /** Starts checking; the first check comes after `firstDelay` (random within the interval by default). */
  /** Starts the check and the agent: their first runs after these delays (by default, at random within their interval). */
  start(firstDelay = Math.floor(Math.random() * this.state.interval()), agentDelay?: number): void {
    if (this.settings.active && this.healthEnabled) this.timer.start(firstDelay);
    if (this.agentEnabled) this.agent?.start(agentDelay);
  }

  /**
   * The regular check disabled before it starts (a server-state file's srv_check_state without
   * CHK_ST_ENABLED): the server keeps the state it has, as one without a check does.
   */
  disableHealth(): void {
    this.healthEnabled = false;
    this.state.checked = false;
  }

  /** The agent disabled before it starts (srv_agent_state without CHK_ST_ENABLED): its verdicts no longer count. */
  disableAgent(): void {
    this.agentEnabled = false;
    this.state.agentHealth = undefined;
  }

  /**
   * `disable health` / `enable health` on the running server (HAProxy's CHK_ST_ENABLED): disabled, the
   * check stops and the server keeps its state, shown as a server without a check ("no check" or
   * DOWN); enabled again, its state and last result count again and it checks one interval later.
   */
  setHealthEnabled(enabled: boolean): void {
    if (!this.settings.active || enabled === this.healthEnabled) return;
    if (!enabled) {
      this.disableHealth();
      this.timer.stop();
      return;
    }
    this.healthEnabled = true;
    this.state.checked = true;
    if (!this.retired) this.timer.start(this.state.interval());
  }

  /** The agent's health when `disable agent` turned it off. */
  private agentHealthOff: number | undefined;

  /** `disable agent` / `enable agent` on the running server: its agent stops asking, or asks again one interval later. */
  setAgentEnabled(enabled: boolean): void {
    const agent = this.agent;
    if (!agent || enabled === this.agentEnabled) return;
    if (!enabled) {
      // HAProxy keeps the agent's health while it is off, and its verdict ("DOWN (agent)") counts again once on.
      this.agentHealthOff = this.state.agentHealth;
      this.disableAgent();
      agent.pause();
      return;
    }
    this.agentEnabled = true;
    this.state.agentHealth = this.agentHealthOff ?? 1;
    if (!this.retired) agent.start(agent.settings.inter);
  }

  stop(): void {
    this.agent?.stop();
    this.retired = true;
    this.timer.stop();
    this.external?.stop();
    clearInterval(this.slowstartTimer);
  }

  /**
   * Where the check connects: a server is checked at its address of the moment — resolved at load
   * (runtime/resolve-at-load.ts), by runtime DNS (`resolvers`) or set by `set server … addr` —
   * unless `addr` names the check's own.
   */
  private target(): CheckTarget {
    const server = this.server;
    const target = this.settings.target;
    if (server.config.options.addr !== undefined || target.path !== undefined || target.host === server.host) return target;
    return { ...target, host: server.host };
  }

  /** Runs one check now and applies its result. */
  async runOnce(): Promise<CheckResult> {
    const server = this.server;
    server.stats.checkRuns++;
    this.inProgress = true;
    let result: CheckResult;
    try {
      // An external check is told the server's own address and port (not `addr`/`port`'s) and its connections.
      result = this.external
        ? await this.external.run({ host: server.host, port: server.port, ...(server.path !== undefined ? { path: server.path } : {}), current: server.served })
        : await this.settings.probe(this.target(), {
          serverDown: this.state.op === 'DOWN',
          sample: this.sample,
          ...(this.settings.sendState ? { serverState: () => this.stateHeader() } : {}),
        });
    } finally {
      this.inProgress = false;
    }
    // A result that comes after `disable health` is not applied (the check is off).
    if (this.retired || !this.healthEnabled) return result;
    this.apply(result);
    return result;
  }

  /**
   * X-Haproxy-Server-State (`http-check send-state`), as HAProxy 2.6's
   * httpchk_build_status_header writes it: the state with the checks left
   * before a transition, the server's address and port, backend/server, the
   * `node` name, its weight over the backend's usable weight, its sessions over
   * the backend's, its queue, and `throttle` during slowstart.
   */
  stateHeader(now = Date.now()): string {
    const { health, op } = this.state;
    const { rise, fall } = this.state.timings;
    let state: string;
    if (op !== 'DOWN') {
      const word = op === 'NOLB' ? 'NOLB' : 'UP';
      state = health === this.state.full ? word : `${word} ${health - rise + 1}/${fall}`;
    } else state = health > 0 ? `DOWN ${health}/${rise}` : 'DOWN';
    const server = this.server;
    // HAProxy sums effective weights in sixteenths (slowstart's ramp, BE_WEIGHT_SCALE) and rounds up once.
    const sixteenths = (s: RuntimeServer) => s.weight * (s.warmup ?? 16);
    const effective = (s: RuntimeServer) => Math.ceil(sixteenths(s) / 16);
    let active = 0;
    let backup = 0;
    let sessions = 0;
    for (const s of this.backend.servers) {
      sessions += s.served;
      if (!s.usable || s.weight <= 0) continue;
      if (s.backup) backup += sixteenths(s);
      else active += sixteenths(s);
    }
    const total = Math.ceil((active > 0 ? active : backup) / 16);
    let header = `${state}; address=${server.host}; port=${server.port}; name=${this.backend.name}/${server.name}; node=${this.settings.node ?? ''}`
      + `; weight=${effective(server)}/${total}; scur=${server.served}/${sessions}; qcur=${server.queue.length}`;
    if (this.slowstartSince !== undefined) {
      // HAProxy counts whole seconds of its clock since the change (now.tv_sec - last_change), slowstart in seconds.
      const elapsed = Math.floor(now / 1000) - Math.floor(this.slowstartSince / 1000);
      const period = Math.ceil(this.settings.slowstart / 1000);
      if (elapsed >= 0 && elapsed < period) header += `; throttle=${Math.max(1, Math.floor((100 * elapsed) / period))}%`;
    }
    return header;
  }

  /** Applies one result (also used by tests and passive observation). */
  apply(result: CheckResult): OperationalState | undefined {
    this.count++;
    const previous = this.results.last();
    this.results.push(result);
    const fromLabel = this.state.label();
    const health = this.state.health;
    if (outcomeOf(result) === 'failed' && health > 0) this.failedChecks++;
    const changed = this.state.record(outcomeOf(result));
    if (this.settings.logHealthChecks && (previous?.code !== result.code || health !== this.state.health)) {
      const { rise, fall } = this.state.timings;
      const h = this.state.health;
      const status = h >= rise ? `${h - rise + 1}/${fall} ${this.server.weight > 0 ? 'UP' : 'DRAIN'}` : `${h}/${rise} DOWN`;
      this.notify(checkLogMessage(this.backend.name, this.server.name, this.server.backup, result, status), undefined, { backend: this.backend.name, level: 'info' });
    }
    if (changed) this.transition(changed, fromLabel, result);
    return changed;
  }

  /** Consecutive errors seen in live traffic (`observe`), reset by a success. */
  private observedErrors = 0;

  /**
   * Passive health (`observe layer4|layer7`, `error-limit`, `on-error`): the engine
   * reports each exchange; after `error-limit` consecutive errors the `on-error`
   * action applies, as HAProxy's check.c does:
   * fastinter → next check at fastinter; fail-check → one failed check (and fastinter);
   * sudden-death → health left at its last UP step, one more failure marks DOWN;
   * mark-down → DOWN now. Every action forces fastinter.
   */
  observe(layer: 'layer4' | 'layer7', ok: boolean, info: string): void {
    const o = this.server.config.options;
    const mode = o.observe;
    // Observation feeds the regular check, which an agent-only server does not run.
    if (!this.settings.active || mode === 'none' || (layer === 'layer7' && mode !== 'layer7')) return;
    if (ok) {
      // HAProxy's analyze_statuses: under `observe layer7` a successful connection is ignored
      // (only a correct HTTP answer clears the count); a failed one counts in both modes.
      if (layer === 'layer4' && mode === 'layer7') return;
      this.observedErrors = 0;
      return;
    }
    if (++this.observedErrors < o.errorLimit) return;
    this.observedErrors = 0;
    const result: CheckResult = { code: 'HANA', time: Date.now(), durationMs: 0, info };
    const action = o.onError;
    if (action === 'fail-check') this.apply(result);
    else if (action === 'sudden-death') {
      if (this.state.health > this.state.timings.rise) this.state.health = this.state.timings.rise;
      else this.apply(result);
    } else if (action === 'mark-down') {
      const from = this.state.label();
      const changed = this.state.force('DOWN');
      this.results.push(result);
      if (changed) this.transition(changed, from, result);
    }
    this.timer.runIn(this.state.timings.fastinter);
  }

  /**
   * Admin change MAINT / DRAIN / READY (HAProxy's `set server … state`, or the agent),
   * already written on the server by RuntimeBackend.setServerAdmin: health and log follow.
   */
  adminChanged(from: ServerAdmin, fromLabel: string, dns?: DnsAdminCause): void {
    const admin = this.state.admin;
    const wasDown = this.state.op === 'DOWN';
    if (admin === 'MAINT') this.state.health = 0;
    if (this.healthEnabled && (admin === 'MAINT') !== (from === 'MAINT')) this.paused = admin === 'MAINT';
    if (from === 'MAINT') {
      // Leaving maintenance: HAProxy puts the server back UP at health=rise, to be confirmed by the checks,
      // unless its agent said "down"; without its regular check on, the health stays (srv_update_status).
      if (this.state.checked) this.state.health = this.state.timings.rise;
      this.state.op = this.state.agentHealth === 0 ? 'DOWN' : 'UP';
    }
    const down = admin === 'MAINT' ? wasDown : this.state.op === 'DOWN';
    // Of the admin changes, only entering drain is mailed (at notice), as in HAProxy.
    const mail = admin === 'DRAIN' && from !== 'MAINT' ? 'notice' : undefined;
    this.transition(this.state.op, fromLabel, undefined, (counts, requeued) => adminMessage({
      backend: this.backend.name, server: this.server.name, backup: this.server.backup, from, to: admin, down,
      counts, sessions: this.server.served, requeued, queued: this.server.queue.length, ...(dns ? { dns } : {}),
    }), mail);
  }

  /**
   * The operational state a server-state file saved (SRV_ST_*: 0 stopped, 1 starting, 2 running,
   * 3 stopping) and its health, as HAProxy's srv_state_srv_update applies them at start.
   */
  restoreOperational(op: number, health: number): void {
    const { rise, fall } = this.state.timings;
    const fromLabel = this.state.label();
    const restored = (to: 'DOWN' | 'NOLB'): void => {
      if (this.state.op === to) return;
      this.state.op = to;
      this.transition(to, fromLabel, undefined, (counts, requeued) => transitionMessage({
        backend: this.backend.name, server: this.server.name, backup: this.server.backup, to, why: 'changed from server-state after a reload',
        counts, sessions: this.server.served, requeued, queued: this.server.queue.length,
      }));
    };
    if (op === 0 || (op === 3 && fall === 1)) {
      this.state.health = 0;
      return restored('DOWN');
    }
    if (op === 2 || (op === 1 && rise === 1)) {
      this.state.health = this.state.full;
      return;
    }
    if (op === 1) {
      // Starting: HAProxy only sets its next state and health (down, on its way up).
      this.state.health = health < 1 || health >= rise ? rise - 1 : health;
      if (this.state.op !== 'DOWN') {
        this.state.op = 'DOWN';
        this.transition('DOWN', fromLabel);
      }
      return;
    }
    this.state.health = health < rise || health > rise + fall - 2 ? rise : health;
    restored('NOLB');
  }

  /**
   * `set server … health up|stopping|down` and the stats page's hrunn / hnolb / hdown (HAProxy 2.6's
   * cli_parse_set_server, stats_process_http_post): the check's health is set to rise+fall-1 (UP,
   * stopping) or 0 (DOWN), then srv_set_running / srv_set_stopping / srv_set_stopped: nothing more
   * for a server in maintenance or already in that state; otherwise the transition as a check's,
   * with `why` ("changed from CLI") as its reason: the log line, the timeline, slowstart and the
   * servers tracking it. The next check results apply from there as usual.
   */
  forceHealth(op: OperationalState, why: string): void {
    const fromLabel = this.state.label();
    this.state.health = op === 'DOWN' ? 0 : this.state.full;
    this.forced(op, fromLabel, why);
  }

  /**
   * `set server … agent up|down` and the page's arunn / adown: the agent's health set (up or down),
   * then srv_set_running / srv_set_stopped as forceHealth does, whatever the regular check says.
   * The caller checks that the agent is enabled (HAProxy refuses otherwise).
   */
  forceAgent(up: boolean, why: string): void {
    const fromLabel = this.state.label();
    this.state.agentHealth = up ? 1 : 0;
    this.forced(up ? 'UP' : 'DOWN', fromLabel, why);
  }

  /** srv_set_running / srv_set_stopping / srv_set_stopped with a reason: maintenance and the same state change nothing. */
  private forced(op: OperationalState, fromLabel: string, why: string): void {
    if (this.state.admin === 'MAINT') return;
    if (this.state.op === op) {
      // The health count changed the label ("UP 1/3" forced UP is "UP"), not the state.
      this.server.stats.relabel(this.server.status);
      return;
    }
    this.state.op = op;
    const to = op;
    const mail: SyslogLevel | undefined = to === 'DOWN' ? (fromLabel.startsWith('NOLB') ? 'notice' : 'alert') : to === 'UP' ? 'notice' : undefined;
    this.transition(to, fromLabel, undefined, (counts, requeued) => transitionMessage({
      backend: this.backend.name, server: this.server.name, backup: this.server.backup, to, why,
      counts, sessions: this.server.served, requeued, queued: this.server.queue.length,
    }), mail);
  }

  /** The agent said up or down (HAProxy's agent result L7OK / L7STS); see HealthState.agentReport. */
  agentVerdict(up: boolean, result: CheckResult): void {
    const fromLabel = this.state.label();
    const before = this.state.agentHealth;
    const previous = this.agentCode;
    this.agentCode = result.code;
    const changed = this.state.agentReport(up);
    if (this.settings.logHealthChecks && (previous !== result.code || before !== this.state.agentHealth)) this.logAgent(result);
    if (changed) this.transition(changed, fromLabel, result);
  }

  /**
   * An agent exchange that failed (no connection, no complete line): the server's state stays, and
   * `option log-health-checks` says so when the agent's status changed (HAProxy's
   * set_server_check_status: "Agent check … failed, reason: Layer4 connection problem, …, status: 1/1 UP.").
   */
  agentResult(result: CheckResult): void {
    const previous = this.agentCode;
    this.agentCode = result.code;
    if (this.settings.logHealthChecks && previous !== result.code) this.logAgent(result);
  }

  /** "status: 1/1 UP" / "0/1 DOWN": the agent's own health (one step: rise and fall 1), up until it said otherwise. */
  private logAgent(result: CheckResult): void {
    const status = this.state.agentHealth !== 0 ? `1/1 ${this.server.weight > 0 ? 'UP' : 'DRAIN'}` : '0/1 DOWN';
    this.notify(checkLogMessage(this.backend.name, this.server.name, this.server.backup, result, status, 'Agent'), undefined, { backend: this.backend.name, level: 'info' });
  }

  /** The agent's last verdict code, for `option log-health-checks` (logged when it changes). */
  private agentCode: CheckResult['code'] | undefined;

  /**
   * @param mail for an admin change (`describe`), the level its line is mailed at; a health change
   * is mailed as HAProxy mails it: DOWN at alert (notice after a stopping state), UP at notice.
   */
  private transition(to: OperationalState, fromLabel: string, result?: CheckResult, describe?: (counts: BackendCounts, requeued: number) => string, mail?: SyslogLevel): void {
    const server = this.server;
    const before = this.backend.usableCounts();
    const requeued = this.backend.setServerUsable(server, this.state.usable, (usable) => (usable ? this.startSlowstart() : this.endSlowstart()));
    const counts = this.backend.usableCounts();
    const reason = describe ? describe(counts, requeued) : transitionMessage({
      backend: this.backend.name,
      server: server.name,
      backup: server.backup,
      to,
      ...(result && !this.settings.logHealthChecks ? { result } : {}),
      counts,
      sessions: server.served,
      requeued,
      queued: server.queue.length,
    });
    const event: HealthEvent = {
      time: result?.time ?? Date.now(),
      backend: this.backend.name,
      server: server.name,
      from: fromLabel,
      to: this.state.label(),
      ...(result ? { code: result.code, durationMs: result.durationMs } : {}),
      reason,
    };
    this.events.push(event);
    const level = describe ? mail : to === 'DOWN' ? (fromLabel === 'NOLB' ? 'notice' : 'alert') : to === 'UP' ? 'notice' : undefined;
    this.notify(reason, event, level && { backend: this.backend.name, level });
    if (before.active + before.backup > 0 && counts.active + counts.backup === 0) {
      this.notify(`backend ${this.backend.name} has no server available!`);
    }
    if (server.trackers.length > 0) followTrackers(server, this.notify);
  }

  /** `slowstart`: the weight ramps up in sixteenths over the period after the server comes back. */
  private startSlowstart(): void {
    const period = this.settings.slowstart;
    if (period <= 0) return;
    const since = Date.now();
    const step = () => {
      const sixteenths = slowstartSixteenths(Date.now() - since, period);
      this.backend.setServerWarmup(this.server, sixteenths >= 16 ? undefined : sixteenths);
      if (sixteenths >= 16) this.endSlowstart();
    };
    this.endSlowstart();
    this.slowstartSince = since;
    step();
    this.slowstartTimer = setInterval(step, 1000);
    this.slowstartTimer.unref();
  }

  /** When the running slowstart began (epoch ms), for send-state's `throttle`. */
  private slowstartSince: number | undefined;

  private endSlowstart(): void {
    clearInterval(this.slowstartTimer);
    this.slowstartTimer = undefined;
    this.slowstartSince = undefined;
  }
}
