import { OutboundPolicy } from '../common/ssrf';
import type { AppConfig } from '../config/app-config';
import type { ProtocolOptions } from './resolved-connection';

/**
 * How connected clients reach their servers: public addresses, plus AOS_CONNECTION_ALLOW_HOSTS —
 * a list of their own, so allowing a private mail server does not open it to http_call.
 */
export function protocolOptions(config: AppConfig): ProtocolOptions {
  return {
    policy: new OutboundPolicy(config.connections.allowHosts, 'AOS_CONNECTION_ALLOW_HOSTS'),
    timeoutMs: config.connections.timeoutMs,
  };
}
