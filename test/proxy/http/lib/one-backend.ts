/** The configuration most side-by-side tests run: one frontend on the test's port, one backend with one server. */
import { HTTP_DEFAULTS } from '../../../helpers/net.ts';

/**
 * Frontend `fe` on `port` sending everything to backend `be`, whose lines are `rules` then
 * `server s1` at `originPort`; `head` is everything before (global and defaults sections).
 */
export function oneBackend(originPort: number, rules = '', head = HTTP_DEFAULTS): (port: number) => string {
  return (port) => `${head}frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
${rules ? `${rules}\n` : ''}    server s1 127.0.0.1:${originPort}
`;
}
