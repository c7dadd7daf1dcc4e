/**
 * DNS messages as the resolvers send and read them (HAProxy's resolv_build_query and
 * resolv_validate_dns_response), over the `dns-packet` codec: one question with
 * recursion desired and an EDNS0 OPT record announcing `accepted_payload_size`.
 */
import * as dnsPacket from 'dns-packet';

export type QueryType = 'A' | 'AAAA' | 'SRV';

/** An address record (A / AAAA), the target of a CNAME chain included. */
export interface AddressRecord { type: 'A' | 'AAAA'; name: string; address: string }
/** An SRV record, with the addresses the additional section gave for its target. */
export interface SrvRecord { type: 'SRV'; name: string; target: string; port: number; weight: number; priority: number }

/** The outcome of one reply as HAProxy classes it (RSLV_RESP_*). */
export type ReplyStatus = 'valid' | 'nx' | 'refused' | 'other' | 'no-expected-record' | 'truncated' | 'invalid';

export interface DnsReply {
  id: number;
  status: ReplyStatus;
  /** The answers of the queried type (A, AAAA or SRV), CNAME hops followed. */
  records: Array<AddressRecord | SrvRecord>;
  /** Additional A/AAAA records (an SRV target's addresses). */
  additionals: AddressRecord[];
  /** A CNAME was followed. */
  cname: boolean;
}

export function encodeQuery(id: number, name: string, type: QueryType, payloadSize: number): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: payloadSize, flags: 0 } as dnsPacket.Answer],
  });
}

const RCODE_NXDOMAIN = 3;
const RCODE_REFUSED = 5;

/** The reply in `buf` to a query of `type`; undefined when it is not a DNS message at all. */
export function decodeReply(buf: Buffer, type: QueryType): DnsReply | undefined {
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(buf);
  } catch {
    return undefined;
  }
  const id = packet.id ?? 0;
  const reply: DnsReply = { id, status: 'valid', records: [], additionals: [], cname: false };
  if (packet.type !== 'response') return { ...reply, status: 'invalid' };
  if (packet.flag_tc) return { ...reply, status: 'truncated' };
  const rcode = (packet.flags ?? 0) & 0xf;
  if (rcode === RCODE_NXDOMAIN) return { ...reply, status: 'nx' };
  if (rcode === RCODE_REFUSED) return { ...reply, status: 'refused' };
  if (rcode !== 0) return { ...reply, status: 'other' };
  for (const a of packet.answers ?? []) {
    if (a.type === 'CNAME') reply.cname = true;
    else if (a.type === type && (a.type === 'A' || a.type === 'AAAA')) reply.records.push({ type: a.type, name: a.name, address: a.data });
    else if (a.type === 'SRV' && type === 'SRV') reply.records.push({ type: 'SRV', name: a.name, target: a.data.target, port: a.data.port, weight: a.data.weight ?? 0, priority: a.data.priority ?? 0 });
  }
  for (const a of packet.additionals ?? []) {
    if (a.type === 'A' || a.type === 'AAAA') reply.additionals.push({ type: a.type, name: a.name, address: a.data });
  }
  if (reply.records.length === 0) reply.status = 'no-expected-record';
  return reply;
}
