// Revocation lists of account JWTs (users) and of exports (activations).

/**
 * nats-server isRevoked: `subject` is revoked when its entry, or the `*` entry, is at or after
 * `issuedAt` (the revoked JWT's iat, seconds).
 */
export function isRevoked(revocations: Readonly<Record<string, number>>, subject: string, issuedAt: number): boolean {
  const t = revocations[subject];
  if (t !== undefined && t >= issuedAt) return true;
  const all = revocations['*'];
  return all !== undefined && all >= issuedAt;
}
