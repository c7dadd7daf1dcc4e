/**
 * One `resolvers` section as it runs (HAProxy's struct resolvers and process_resolvers): its
 * nameservers over UDP, with HAProxy's counters, and the names its servers resolve. Every
 * `timeout resolve` a name is asked again of every nameserver; the first valid reply is used,
 * errors count once every nameserver has answered; a query unanswered after `timeout retry`
 * is sent again, `resolve_retries` times.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { Resolution } from './resolution.ts';
import type { Requester } from './resolution.ts';
import type { HoldPeriods } from './server-link.ts';
import { decodeReply, encodeQuery } from './wire.ts';
import type { AddressRecord, QueryType, SrvRecord } from './wire.ts';

/** HAProxy's dns_counters as `show resolvers` prints them. */
export const COUNTER_NAMES = ['sent', 'snd_error', 'valid', 'update', 'cname', 'cname_error', 'any_err', 'nx', 'timeout', 'refused', 'other', 'invalid', 'too_big', 'truncated', 'outdated'] as const;
export type NameserverCounters = Record<(typeof COUNTER_NAMES)[number], number>;

export interface RuntimeNameserver {
  name: string;
  host: string;
  port: number;
  counters: NameserverCounters;
}

export interface ResolversSettings {
  /** `timeout resolve`: between two resolutions of a name, ms. Default 1s. */
  resolve: number;
  /** `timeout retry`: before a query unanswered is sent again, ms. Default 1s. */
  retry: number;
  /** `resolve_retries`. Default 3. */
  retries: number;
  /** `accepted_payload_size`. Default 512. */
  payloadSize: number;
  hold: HoldPeriods;
}

export class RuntimeResolvers {
  readonly nameservers: RuntimeNameserver[];
  private readonly resolutions = new Map<string, Resolution>();
  private readonly inFlight = new Map<number, Resolution>();
  private readonly sockets: { 4?: dgram.Socket; 6?: dgram.Socket } = {};
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(readonly name: string, nameservers: Array<{ name: string; host: string; port: number }>, readonly settings: ResolversSettings, private readonly now: () => number = Date.now) {
    this.nameservers = nameservers.map((n) => ({ ...n, counters: Object.fromEntries(COUNTER_NAMES.map((c) => [c, 0])) as NameserverCounters }));
  }

  /** The resolution of `name` asked first as `preferred`, shared by every server asking the same (HAProxy's resolv_link_resolution). */
  link(name: string, preferred: QueryType, requester: Requester): Resolution {
    const key = `${preferred}|${name.toLowerCase()}`;
    let resolution = this.resolutions.get(key);
    if (!resolution) {
      resolution = new Resolution(name, preferred, this.now());
      this.resolutions.set(key, resolution);
    }
    resolution.requesters.push(requester);
    // A resolution linked while running (an SRV record's target) starts at the next wake-up, now.
    if (this.running) this.schedule();
    return resolution;
  }

  /** `requester` no longer needs `resolution`; a resolution nobody needs is dropped (HAProxy's _resolv_unlink_resolution). */
  unlink(resolution: Resolution, requester: Requester): void {
    const i = resolution.requesters.indexOf(requester);
    if (i >= 0) resolution.requesters.splice(i, 1);
    resolution.records.detach(requester);
    if (resolution.requesters.length > 0) return;
    if (resolution.query) this.inFlight.delete(resolution.query.id);
    for (const [key, r] of this.resolutions) if (r === resolution) this.resolutions.delete(key);
  }

  /** Opens the sockets and runs the first resolutions now. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const ns of this.nameservers) {
      const family = isIPv6(ns.host) ? 6 : 4;
      if (this.sockets[family]) continue;
      const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
      socket.on('message', (msg, from) => this.received(msg, from));
      // A send error is counted where it happens; the socket itself stays open.
      socket.on('error', () => {});
      socket.unref();
      this.sockets[family] = socket;
    }
    this.process();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    for (const socket of Object.values(this.sockets)) socket.close();
    this.sockets[4] = undefined;
    this.sockets[6] = undefined;
    this.inFlight.clear();
  }

  /** HAProxy's process_resolvers: retries and timeouts of the queries in flight, then the resolutions due. */
  private process(): void {
    if (!this.running) return;
    const now = this.now();
    const { retry, resolve } = this.settings;
    for (const res of this.resolutions.values()) {
      if (res.query) {
        if (res.query.sentAt + retry > now) continue;
        if (res.tries === 0) {
          // HAProxy 2.6 counts no `timeout` for a UDP nameserver that stays silent; the resolution's status says it.
          if (res.query.responses === 0) res.status = 'timeout';
          this.reportFailure(res);
          continue;
        }
        // Unanswered, or the fallback family was asked already: the preferred type again, one try less.
        const fallback = res.fallbackType();
        if (res.query.responses === 0 || res.query.type !== res.preferred || fallback === undefined) {
          res.tries--;
          this.send(res, res.preferred);
        } else this.send(res, fallback);
        continue;
      }
      if (res.lastResolution !== 0 && res.lastResolution + resolve > now) continue;
      res.tries = this.settings.retries - 1;
      this.send(res, res.preferred);
    }
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    const now = this.now();
    let next = now + this.settings.resolve;
    for (const res of this.resolutions.values()) {
      next = Math.min(next, res.query ? res.query.sentAt + this.settings.retry : res.lastResolution + this.settings.resolve);
    }
    this.timer = setTimeout(() => this.process(), Math.max(0, next - now));
    this.timer.unref();
  }

  private send(res: Resolution, type: QueryType): void {
    if (res.query) this.inFlight.delete(res.query.id);
    let id: number;
    do id = Math.floor(Math.random() * 0x10000); while (this.inFlight.has(id));
    res.query = { id, type, sentAt: this.now(), responses: 0 };
    this.inFlight.set(id, res);
    const message = encodeQuery(id, res.name, type, this.settings.payloadSize);
    for (const ns of this.nameservers) {
      const socket = this.sockets[isIPv6(ns.host) ? 6 : 4];
      if (!socket) continue;
      ns.counters.sent++;
      socket.send(message, ns.port, ns.host, (error) => {
        if (error) ns.counters.snd_error++;
      });
    }
  }

  /** HAProxy's resolv_process_responses for one datagram. */
  private received(msg: Buffer, from: dgram.RemoteInfo): void {
    const ns = this.nameservers.find((n) => n.port === from.port && sameHost(n.host, from.address));
    if (!ns || !this.running) return;
    const id = msg.length >= 2 ? msg.readUInt16BE(0) : -1;
    const res = this.inFlight.get(id);
    if (!res || !res.query) {
      ns.counters.outdated++;
      return;
    }
    if (msg.length > this.settings.payloadSize) {
      ns.counters.too_big++;
      return;
    }
    const reply = decodeReply(msg, res.name, res.query.type);
    res.query.responses++;
    if (!reply || reply.status === 'invalid') ns.counters.invalid++;
    else if (reply.status === 'nx') ns.counters.nx++;
    else if (reply.status === 'refused') ns.counters.refused++;
    else if (reply.status === 'truncated') ns.counters.truncated++;
    else if (reply.status === 'other') ns.counters.other++;
    else if (reply.status === 'no-expected-record') ns.counters.any_err++;
    else if (reply.status === 'cname-error') ns.counters.cname_error++;
    // `cname` stays 0: haproxy 2.6 prints the counter but never counts it (a reply through a CNAME counts as valid).
    if (!reply || reply.status !== 'valid') {
      res.status = reply ? Resolution.statusOf(reply) : 'other';
      // Errors count once every nameserver answered: a slower one may still answer well.
      if (res.query.responses < this.nameservers.length) return;
      const fallback = res.fallbackType();
      if (res.query.type !== res.preferred || fallback === undefined) {
        if (res.tries === 0) this.reportFailure(res);
        // Else the retry timer sends the preferred type again.
        return;
      }
      this.send(res, fallback);
      return;
    }
    ns.counters.valid++;
    const now = this.now();
    res.status = 'valid';
    res.lastValid = now;
    if (res.srv) res.srv.merge(reply.records.filter((r): r is SrvRecord => r.type === 'SRV'), reply.additionals, now);
    else {
      res.records.merge(reply.records.filter((r): r is AddressRecord => r.type !== 'SRV'), now);
      res.records.dropObsolete(now, this.settings.hold.obsolete);
    }
    this.finish(res);
    let by: string | undefined = `${this.name}/${ns.name}`;
    for (const requester of [...res.requesters]) {
      if (requester.answered(res, by) && by !== undefined) ns.counters.update++;
      // Only the first requester is told which nameserver answered; the others read "DNS cache".
      by = undefined;
    }
    this.schedule();
  }

  private reportFailure(res: Resolution): void {
    let keep = false;
    for (const requester of [...res.requesters]) keep = requester.failed(res) || keep;
    if (!keep) res.records.clear();
    this.finish(res);
  }

  private finish(res: Resolution): void {
    if (res.query) this.inFlight.delete(res.query.id);
    res.query = undefined;
    res.lastResolution = this.now();
  }
}

function sameHost(configured: string, seen: string): boolean {
  return configured === seen || configured.toLowerCase() === seen.toLowerCase() || `::ffff:${configured}` === seen;
}
