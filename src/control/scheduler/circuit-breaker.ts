/**
 * The deployment circuit breaker: a deployment fails once this many of its tasks failed (stopped
 * before running, or stopped for failing health checks). Half the desired count, at least 3 and at
 * most 200, as AWS documents it.
 */
export function failureThreshold(desiredCount: number): number {
  return Math.min(200, Math.max(3, Math.ceil(desiredCount * 0.5)));
}

/**
 * Throttling of a service whose tasks keep failing to start (ECS documents only the 15-minute
 * maximum; the steps before it are Berth's choice): no delay for the first three failures in a row,
 * then the next launch waits 1, 2, 4 and 8 minutes, and 15 minutes (ECS's documented maximum)
 * from the seventh failure on.
 */
export function throttleDelayMs(consecutiveFailures: number): number {
  if (consecutiveFailures < 3) return 0;
  return Math.min(15, 2 ** (consecutiveFailures - 3)) * 60 * 1000;
}
