import type { VariableSpec } from './variable-spec';

/** Tokens, the external identity provider, and what they are checked against. */
export const IDENTITY_VARIABLES = {
  AOS_PUBLIC_URL: {
    type: 'url',
    protocols: ['http', 'https'],
    says: 'an http(s) URL',
    doc: 'The URL clients reach this AOS at (behind its proxy). The `iss` of the tokens it signs, and their `aud` unless `AOS_TOKEN_AUDIENCE` is set. Every instance must agree. Unset: `urn:aos`.',
  },
  AOS_TOKEN_AUDIENCE: {
    type: 'string',
    shown: '`AOS_PUBLIC_URL`, else `urn:aos`',
    doc: 'The `aud` of access tokens; a bearer token for any other audience is refused.',
  },
  AOS_ACCESS_TOKEN_TTL_S: {
    type: 'int',
    min: 30,
    max: 900,
    says: 'a number of seconds from 30 to 900',
    default: 900,
    doc: 'Lifetime of an access token from `POST /auth/token` (at most 15 minutes).',
  },
  AOS_REFRESH_TOKEN_TTL_S: {
    type: 'int',
    min: 60,
    max: 90 * 24 * 3600,
    says: 'a number of seconds from 60 to 7776000',
    default: 30 * 24 * 3600,
    doc: 'Lifetime of a refresh token (each use hands out a new one with a fresh lifetime; a family ends with its key).',
  },
  AOS_OIDC_ISSUER: {
    type: 'url',
    protocols: ['http', 'https'],
    says: 'an http(s) URL',
    doc: "An external OpenID Connect issuer whose bearer tokens AOS accepts; its keys come from the issuer's discovery document (the operator's choice: not subject to the SSRF policy). Needs `AOS_OIDC_AUDIENCE`.",
  },
  AOS_OIDC_AUDIENCE: {
    type: 'string',
    doc: 'The `aud` the issuer puts in tokens meant for AOS; any other is refused.',
  },
  AOS_OIDC_TENANT_CLAIM: {
    type: 'string',
    default: 'aos_tenant',
    doc: "The claim naming the tenant (id or slug) a user's token acts in; a token without it, or naming no tenant, is refused.",
  },
  AOS_OIDC_SCOPE_CLAIM: {
    type: 'string',
    default: 'scope',
    doc: 'The claim carrying the scopes (`read`, `write`, `admin`, space-separated or a list; others are ignored).',
  },
  AOS_OIDC_ALGORITHMS: {
    type: 'pattern',
    pattern: /^((RS|PS|ES)(256|384|512)|EdDSA|Ed25519)(,((RS|PS|ES)(256|384|512)|EdDSA|Ed25519))*$/,
    says: 'a comma-separated list of asymmetric JWS algorithms (RS256, PS256, ES256, EdDSA, ...)',
    default: 'RS256,ES256,EdDSA',
    doc: "The only signature algorithms accepted on the issuer's tokens (never `none` or a shared secret).",
  },
} as const satisfies Record<string, VariableSpec>;
