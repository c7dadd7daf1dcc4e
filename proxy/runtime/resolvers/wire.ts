/**
 * DNS messages as the resolvers send and read them (HAProxy's resolv_build_query and
 * resolv_validate_dns_response), over the `dns-packet` codec: one question with
 * recursion desired and an EDNS0 OPT record announcing `accepted_payload_size`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import * as dnsPacket from 'dns-packet';

export type QueryType = 'A' | 'AAAA' | 'SRV';

/** An address record (A / AAAA), the target of a CNAME chain included. */
export interface AddressRecord { type: 'A' | 'AAAA'; name: string; address: string }
/** An SRV record, with the addresses the additional section gave for its target. */
export interface SrvRecord { type: 'SRV'; name: string; target: string; port: number; weight: number; priority: number }

/** The outcome of one reply as HAProxy classes it (RSLV_RESP_*). */
export type ReplyStatus = 'valid' | 'nx' | 'refused' | 'other' | 'no-expected-record' | 'truncated' | 'invalid' | 'cname-error';

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

/**
 * The reply in `buf` to a query of `type` for `name`; undefined when it is not a DNS message at all.
 * As HAProxy's resolv_validate_dns_response, a reply must echo the one question asked, and its
 * answers must be for that name or the CNAME chain from it (for A/AAAA): a first record for
 * another name makes the reply invalid, a later one or a chain ending on a CNAME a CNAME error.
 * So a confused or hostile nameserver cannot give a server the address of another name.
 */
export function decodeReply(buf: Buffer, name: string, type: QueryType): DnsReply | undefined {
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(buf);
  } catch {
    return undefined;
  }
  // The codec reads a record cut short past the end (an A record of `10.undefined.undefined.undefined`);
  // HAProxy refuses any record whose data runs past the datagram, and so does this.
  if (dnsPacket.decode.bytes > buf.length) return undefined;
  const id = packet.id ?? 0;
  const reply: DnsReply = { id, status: 'valid', records: [], additionals: [], cname: false };
  if (packet.type !== 'response') return { ...reply, status: 'invalid' };
  const rcode = (packet.flags ?? 0) & 0xf;
  if (rcode === RCODE_NXDOMAIN) return { ...reply, status: 'nx' };
  if (rcode === RCODE_REFUSED) return { ...reply, status: 'refused' };
  if (rcode !== 0) return { ...reply, status: 'other' };
  const questions = packet.questions ?? [];
  if (questions.length !== 1 || !sameName(questions[0]!.name, name)) return { ...reply, status: 'invalid' };
  if (packet.flag_tc) return { ...reply, status: 'truncated' };
  const answers = packet.answers ?? [];
  // The name the next answer must be for: the one asked, then each CNAME's target (SRV replies are not checked, as in HAProxy).
  let expected = name;
  for (const [i, a] of answers.entries()) {
    if (type !== 'SRV' && !sameName(a.name, expected)) return { ...reply, records: [], status: i === 0 ? 'invalid' : 'cname-error' };
    if (a.type === 'CNAME') {
      reply.cname = true;
      if (i === answers.length - 1) return { ...reply, records: [], status: 'cname-error' };
      expected = a.data;
    } else if (a.type === type && (a.type === 'A' || a.type === 'AAAA')) {
      if (!(a.type === 'A' ? isIPv4(a.data) : isIPv6(a.data))) return undefined;
      reply.records.push({ type: a.type, name: a.name, address: a.data });
    } else if (a.type === 'SRV' && type === 'SRV') reply.records.push({ type: 'SRV', name: a.name, target: a.data.target, port: a.data.port, weight: a.data.weight ?? 0, priority: a.data.priority ?? 0 });
  }
  for (const a of packet.additionals ?? []) {
    if ((a.type === 'A' && isIPv4(a.data)) || (a.type === 'AAAA' && isIPv6(a.data))) reply.additionals.push({ type: a.type, name: a.name, address: a.data });
  }
  if (reply.records.length === 0) reply.status = 'no-expected-record';
  return reply;
}

/** DNS names compare without case and without a final dot. */
function sameName(a: string, b: string): boolean {
  return a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();
}
