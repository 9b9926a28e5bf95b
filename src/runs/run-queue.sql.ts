// Shared by the claim/reclaim statements, the cheap probes in front of them and the queue metrics,
// so they cannot drift apart.

/** A run a claim may take (`r` = runs, `a` = its agent), concurrency aside. */
export const READY_RUN = `r.status = 'pending' AND r.available_at <= now() AND a.status = 'active'`;

/** A running run whose worker stopped renewing its lease. */
export const LAPSED_LEASE = `status = 'running' AND lease_expires_at < now()`;
