/**
 * One name being resolved by one `resolvers` section (HAProxy's resolv_resolution): the
 * servers sharing it, its status and the records it keeps, and the query in flight with
 * HAProxy's retry plan — the preferred type first, the other family at once when every
 * nameserver answered with an error, the preferred type again after `timeout retry`,
 * `resolve_retries` times, then the error is reported to the servers.
 */
import { AnswerCache } from './answers.ts';
import { SrvCache } from './srv.ts';
import type { DnsReply, QueryType } from './wire.ts';

/** HAProxy's RSLV_STATUS_*. */
export type ResolutionStatus = 'none' | 'valid' | 'nx' | 'refused' | 'timeout' | 'other';

/** A server's side of a resolution (HAProxy's resolv_requester with snr_resolution_cb). */
export interface Requester {
  /**
   * A valid reply arrived; `by` names the nameserver (`resolvers/nameserver`) for the first
   * requester and is undefined for the others ("DNS cache"). Returns true when it took a new address.
   */
  answered(resolution: Resolution, by: string | undefined): boolean;
  /** The resolution failed (status says how). Returns true when the server's state did not change. */
  failed(resolution: Resolution): boolean;
}

export class Resolution {
  status: ResolutionStatus = 'none';
  /** When the last valid reply came (ms); the `hold` periods count from it. */
  lastValid: number;
  /** When the last resolution ended (ms); the next starts `timeout resolve` later. 0: never ran. */
  lastResolution = 0;
  readonly records = new AnswerCache();
  /** The SRV records of an SRV resolution, else undefined. */
  readonly srv: SrvCache | undefined;
  readonly requesters: Requester[] = [];

  /** The query in flight, undefined between resolutions. */
  query: { id: number; type: QueryType; sentAt: number; responses: number } | undefined;
  /** Tries left (resolve_retries). */
  tries = 0;

  constructor(readonly name: string, readonly preferred: QueryType, now: number) {
    this.lastValid = now;
    this.srv = preferred === 'SRV' ? new SrvCache() : undefined;
  }

  /** The record type to ask after every nameserver failed the preferred one (A ↔ AAAA), or undefined. */
  fallbackType(): QueryType | undefined {
    return this.preferred === 'A' ? 'AAAA' : this.preferred === 'AAAA' ? 'A' : undefined;
  }

  /** A reply's status as the resolution keeps it (HAProxy maps NX, refused and the rest this way). */
  static statusOf(reply: DnsReply): ResolutionStatus {
    if (reply.status === 'valid') return 'valid';
    if (reply.status === 'nx') return 'nx';
    if (reply.status === 'refused') return 'refused';
    return 'other';
  }
}
