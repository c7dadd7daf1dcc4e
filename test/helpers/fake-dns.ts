/**
 * A DNS server on 127.0.0.1 (UDP, random port) whose answers the test sets: A, AAAA and SRV
 * records per name, NXDOMAIN, or silence. Real HAProxy and Loadstar can both point a
 * `nameserver` line at it; it counts the questions it got per name and type.
 */
import dgram from 'node:dgram';
import * as dnsPacket from 'dns-packet';

/** An SRV record; `glue: false` leaves the target's addresses out of the additional section. */
export interface SrvAnswer { target: string; port: number; weight?: number; priority?: number; glue?: boolean }

/** What the server answers for one name. */
export type FakeAnswer =
  | { a?: string[]; aaaa?: string[]; srv?: SrvAnswer[]; ttl?: number }
  | 'nxdomain'
  | 'silence'
  /** Hostile or broken servers: the datagrams to send back, built from the query received. */
  | { forge: (query: dnsPacket.DecodedPacket) => Buffer[] };

export interface FakeDns {
  port: number;
  /** Sets (or, with undefined, removes: then NXDOMAIN) the answer for `name`. */
  set(name: string, answer: FakeAnswer | undefined): void;
  /** Questions received for `name` with `type` (A, AAAA, SRV) so far. */
  asked(name: string, type?: string): number;
  close(): Promise<void>;
}

export async function startFakeDns(initial: Record<string, FakeAnswer> = {}): Promise<FakeDns> {
  const answers = new Map<string, FakeAnswer>(Object.entries(initial).map(([k, v]) => [k.toLowerCase(), v]));
  const questions = new Map<string, number>();
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (!q) return;
    const name = q.name.toLowerCase();
    questions.set(`${name}|${q.type}`, (questions.get(`${name}|${q.type}`) ?? 0) + 1);
    const answer = answers.get(name);
    if (answer === 'silence') return;
    if (answer !== undefined && typeof answer === 'object' && 'forge' in answer) {
      for (const datagram of answer.forge(query as dnsPacket.DecodedPacket)) socket.send(datagram, rinfo.port, rinfo.address);
      return;
    }
    const records: dnsPacket.Answer[] = [];
    const additionals: dnsPacket.Answer[] = [];
    if (answer !== undefined && answer !== 'nxdomain' && !('forge' in answer)) {
      const ttl = answer.ttl ?? 60;
      if (q.type === 'A') for (const data of answer.a ?? []) records.push({ type: 'A', name: q.name, ttl, data });
      if (q.type === 'AAAA') for (const data of answer.aaaa ?? []) records.push({ type: 'AAAA', name: q.name, ttl, data });
      if (q.type === 'SRV') {
        for (const s of answer.srv ?? []) {
          records.push({ type: 'SRV', name: q.name, ttl, data: { target: s.target, port: s.port, weight: s.weight ?? 10, priority: s.priority ?? 0 } });
          const target = answers.get(s.target.toLowerCase());
          if (s.glue !== false && target !== undefined && typeof target === 'object' && !('forge' in target)) {
            for (const data of target.a ?? []) additionals.push({ type: 'A', name: s.target, ttl, data });
          }
        }
      }
    }
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (answer === undefined || answer === 'nxdomain' ? 3 : 0),
      questions: query.questions,
      answers: records,
      additionals,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: socket.address().port,
    set(name, answer) {
      if (answer === undefined) answers.delete(name.toLowerCase());
      else answers.set(name.toLowerCase(), answer);
    },
    asked(name, type) {
      let n = 0;
      for (const [k, v] of questions) if (k.startsWith(`${name.toLowerCase()}|`) && (type === undefined || k.endsWith(`|${type}`))) n += v;
      return n;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
