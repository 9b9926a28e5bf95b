import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The headers a (static) helmet policy sets, captured once from a stand-in response. */
function renderHeaders(middleware: ReturnType<typeof helmet>): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  middleware({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}

// Security headers from helmet. Its policies are static, so each is rendered once into a plain
// header map that a single hook copies onto every reply (running helmet's middleware per request
// cost a measurable share of a small request). JSON responses get the short set OWASP recommends
// for APIs; only the HTML of /docs needs the longer browser policy that lets Swagger UI run.
export const API_SECURITY_HEADERS = renderHeaders(
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xFrameOptions: { action: 'deny' },
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  }),
);

export const DOCS_SECURITY_HEADERS = renderHeaders(
  helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        // Plain-HTTP deployments (behind a TLS proxy or on localhost) must still load the assets.
        upgradeInsecureRequests: null,
      },
    },
  }),
);
