/**
 * The forms a secret can take on the wire of the protocols AOS speaks: as given, in base64 (AUTH
 * LOGIN, Basic), and SASL PLAIN's `\0user\0secret` in base64. A server that echoes what it was
 * sent must not bring any of them back into an error or an output.
 */
export function secretForms(secret: string, users: readonly string[] = []): string[] {
  const encodings = (text: string) => [
    Buffer.from(text).toString('base64'),
    // URL-safe base64 (JWTs, tokens in URLs) and the same without its padding.
    Buffer.from(text).toString('base64url'),
  ];
  const forms = new Set<string>([
    secret,
    ...encodings(secret),
    // Percent-encoded, as it travels in a URL or a form body (both encoders' forms).
    encodeURIComponent(secret),
    new URLSearchParams({ x: secret }).toString().slice(2),
  ]);
  for (const user of users) {
    for (const form of [...encodings(`\0${user}\0${secret}`), ...encodings(`${user}:${secret}`)]) forms.add(form);
  }
  // Very short secrets would redact ordinary words; they are refused at creation anyway.
  return [...forms].filter((f) => f.length >= 4).sort((a, b) => b.length - a.length);
}

/** `text` with every form of every secret replaced by a mark. */
export function redactText(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join('[redacted]');
  return out;
}

/** A JSON value with every string redacted (outputs of skills that used a connection). */
export function redactValue<T>(value: T, forms: readonly string[]): T {
  if (forms.length === 0) return value;
  if (typeof value === 'string') return redactText(value, forms) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactValue(v, forms)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [redactText(k, forms), redactValue(v, forms)]),
    ) as T;
  }
  return value;
}

/** Every wire form of a connection's secret, with the login names it travels with. */
export function connectionSecretForms(connection: { secret: string | undefined; settings: object }): string[] {
  if (connection.secret === undefined) return [];
  const s = connection.settings as { username?: unknown; from?: unknown };
  const users = [s.username, s.from].filter((u): u is string => typeof u === 'string');
  const forms = secretForms(connection.secret, users);
  // Header auth stores its headers as JSON: each value travels alone, so each is a secret too.
  if ((connection.settings as { auth?: unknown }).auth === 'headers') {
    try {
      for (const value of Object.values(JSON.parse(connection.secret) as Record<string, unknown>)) {
        if (typeof value === 'string') forms.push(...secretForms(value));
      }
    } catch {
      // not JSON: the whole secret is already a form
    }
  }
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}
