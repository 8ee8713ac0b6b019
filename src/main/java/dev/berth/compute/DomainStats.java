package dev.berth.compute;

import java.time.Instant;

/**
 * Cumulative counters of a running domain at one moment; rates (CPU %, bytes/s) come from two samples.
 *
 * @param cpuTimeNanos     CPU time used by the domain since it started
 * @param memoryUsedBytes  guest memory in use where the balloon driver reports it, else the allocation
 */
public record DomainStats(Instant at, long cpuTimeNanos, int vcpus, long memoryUsedBytes, long diskReadBytes,
                          long diskWriteBytes, long netRxBytes, long netTxBytes) {
}
