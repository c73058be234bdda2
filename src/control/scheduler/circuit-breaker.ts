/**
 * The deployment circuit breaker: a deployment fails once this many of its tasks failed (stopped
 * before running, or stopped for failing health checks). Half the desired count, at least 3 and at
 * most 200, as AWS documents it.
 */
export function failureThreshold(desiredCount: number): number {
  return Math.min(200, Math.max(3, Math.ceil(desiredCount * 0.5)));
}

/**
 * Throttling of a service whose tasks keep failing to start: after the third failure in a row,
 * launches wait 10 seconds, doubling with each further failure, up to 15 minutes.
 */
export function throttleDelayMs(consecutiveFailures: number): number {
  if (consecutiveFailures < 3) return 0;
  return Math.min(15 * 60 * 1000, 10_000 * 2 ** (consecutiveFailures - 3));
}
