// Shared by the claim/reclaim statements, the cheap probes in front of them and the queue metrics,
// so they cannot drift apart.

/**
 * A run a claim may take (`r` = runs, `a` = its agent), concurrency aside. `available_at` has
 * millisecond precision and PostgreSQL rounds (not truncates) when it stores `now()`, so a run made
 * available "now" may carry a time up to half a millisecond ahead: one millisecond of slack keeps a
 * claim woken by its event from missing it.
 */
export const READY_RUN = `r.status = 'pending' AND r.available_at <= now() + interval '1 millisecond' AND a.status = 'active'`;

/** A running run whose worker stopped renewing its lease. */
export const LAPSED_LEASE = `status = 'running' AND lease_expires_at < now()`;
