/** The protocol health checks HAProxy 2.6 builds in (`option redis-check` …): the configuration parses them, proxy/checks runs them. */
export const PROTOCOL_CHECKS = ['redis-check', 'pgsql-check', 'mysql-check', 'smtpchk', 'ssl-hello-chk', 'ldap-check'] as const;
export type ProtocolCheck = (typeof PROTOCOL_CHECKS)[number];
