/**
 * TLS 1.3 session tickets renewed on every resumption, as HAProxy does.
 *
 * A TLS 1.3 client uses a ticket once (RFC 8446 §C.4; OpenSSL's client
 * cannot resume twice from one): it can only resume its next connection if
 * the resumed handshake brought a fresh ticket. OpenSSL sends one after a
 * resumption only when the ticket-key callback asks for it ("renew", 2);
 * Node's built-in callback answers "use" (1), so behind a plain Node server
 * every second connection of such a client is a full handshake (measured
 * with wrk: 742 of 1,497 connections resumed; HAProxy 2.6: all of them,
 * one new ticket per resumed TLS 1.3 handshake).
 *
 * Node's SecureContext has a second, JavaScript ticket-key callback
 * (`enableTicketKeyCallback` + `onticketkeycallback`, not in its public API);
 * this installs it with the context's own keys (the same ticket format
 * Node uses: 16-byte name, AES-128-CBC, HMAC-SHA256) and answers "renew" on
 * decryption. Where a Node version lacks it, the server keeps Node's
 * behaviour. The keys live as long as the server: a reload or a changed
 * certificate makes new ones, as a restarted HAProxy does.
 *
 * TLS 1.2 resumption also gets a new ticket (the callback cannot tell the
 * versions apart); HAProxy 2.6 sends none there. Clients accept both
 * (RFC 5077 §3.3).
 */
import { randomFillSync } from 'node:crypto';
import type tls from 'node:tls';
import type { TicketKeyRef } from './ticket-keys.ts';

/** OpenSSL's ticket-key callback results (SSL_CTX_set_tlsext_ticket_key_cb). */
const NO_DECRYPT = 0;
const USE = 1;
const RENEW = 2;

/** The native SecureContext's ticket-key hooks (node/src/crypto/crypto_context.cc). */
interface NativeTicketHooks {
  enableTicketKeyCallback?: () => void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, encrypt: boolean) => unknown[];
}

/**
 * Makes `server` send a new ticket with each resumed handshake; with `shared` (`tls-ticket-keys`),
 * its tickets are encrypted with that file's current key and decrypted with any of its keys.
 * Returns false (and changes nothing) when this Node version does not expose the hook.
 */
export function renewTicketsOnResumption(server: tls.Server, shared?: TicketKeyRef): boolean {
  const context = (server as unknown as { _sharedCreds?: { context?: NativeTicketHooks } })._sharedCreds?.context;
  if (!context || typeof context.enableTicketKeyCallback !== 'function') return false;
  if (shared) {
    useSharedKeys(context, shared);
    return true;
  }
  // getTicketKeys(): 16-byte key name, 16-byte HMAC secret, 16-byte AES key (what Node's own callback uses)
  const keys = server.getTicketKeys();
  if (keys.length !== 48) return false;
  const name = keys.subarray(0, 16);
  const hmac = keys.subarray(16, 32);
  const aes = keys.subarray(32, 48);
  const encrypting: unknown[] = [USE, hmac, aes, name, undefined];
  const renew = [RENEW, hmac, aes];
  const unknown = [NO_DECRYPT, hmac, aes];
  const ivs = new IvPool();
  context.onticketkeycallback = (keyName, _iv, encrypt) => {
    if (encrypt) {
      // The native side copies name and IV out of the array before returning to OpenSSL.
      encrypting[4] = ivs.next();
      return encrypting;
    }
    return keyName.equals(name) ? renew : unknown;
  };
  context.enableTicketKeyCallback();
  return true;
}

/**
 * HAProxy's key layout (a 16-byte name, the AES key, the HMAC key) given to Node's callback, which
 * wants the HMAC key before the AES key. Node's ticket cipher is AES-128-CBC with HMAC-SHA256, as
 * HAProxy's with 48-byte keys: tickets pass between the two. With 80-byte keys HAProxy uses
 * AES-256; Node's cipher takes the first 16 bytes of the AES key, so those tickets resume on
 * Loadstar processes sharing the file but not across to HAProxy's.
 */
function useSharedKeys(context: NativeTicketHooks, ref: TicketKeyRef): void {
  const aesLength = ref.bits === 128 ? 16 : 32;
  // Node's callback takes a 16-byte AES key exactly (kTicketPartSize); the HMAC key at any length.
  const parts = (key: Buffer): { name: Buffer; aes: Buffer; hmac: Buffer } => ({ name: key.subarray(0, 16), aes: key.subarray(16, 32), hmac: key.subarray(16 + aesLength) });
  const ivs = new IvPool();
  context.onticketkeycallback = (keyName, _iv, encrypt) => {
    if (encrypt) {
      // The key of the moment: `set ssl tls-key` may have added one since the last ticket.
      const { name, aes, hmac } = parts(ref.encryption());
      return [USE, hmac, aes, name, ivs.next()];
    }
    const key = ref.named(keyName);
    if (!key) return [NO_DECRYPT, Buffer.alloc(16), Buffer.alloc(16)];
    const { aes, hmac } = parts(key);
    return [RENEW, hmac, aes];
  };
  context.enableTicketKeyCallback?.();
}

/** Bytes drawn from the CSPRNG at a time: 256 IVs. */
const POOL_BYTES = 4096;

/**
 * Random 16-byte IVs for the tickets, drawn from the CSPRNG 256 at a time: one randomFillSync
 * call costs ≈ 8 µs whatever its size (measured on Node 20), and a full TLS 1.3 handshake
 * issues two tickets. Each IV is used once; they stay as unpredictable as per-ticket draws.
 */
class IvPool {
  private pool = Buffer.alloc(0);
  private offset = 0;

  next(): Buffer {
    if (this.offset === this.pool.length) {
      // a new buffer: the previous one's IVs may still be referenced by the callback's array
      this.pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
      this.offset = 0;
    }
    const iv = this.pool.subarray(this.offset, this.offset + 16);
    this.offset += 16;
    return iv;
  }
}
