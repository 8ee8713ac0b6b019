package dev.berth.compute;

import java.time.Instant;

/**
 * Rates between two samples of a machine's counters.
 *
 * @param cpuPercent share of the machine's vCPUs in use, 0–100
 */
public record StatsPoint(Instant at, double cpuPercent, long memoryUsedBytes, double diskReadBps, double diskWriteBps,
                         double netRxBps, double netTxBps) {

    /** The rates from an earlier sample to a later one; null when they cannot be compared (restart, clock). */
    public static StatsPoint between(DomainStats before, DomainStats after) {
        double seconds = (after.at().toEpochMilli() - before.at().toEpochMilli()) / 1000.0;
        if (seconds <= 0 || after.cpuTimeNanos() < before.cpuTimeNanos()) {
            return null; // the domain restarted (counters reset) or samples arrived out of order
        }
        double cpu = (after.cpuTimeNanos() - before.cpuTimeNanos()) / (seconds * 1e9 * Math.max(1, after.vcpus())) * 100;
        return new StatsPoint(after.at(), Math.min(100, Math.max(0, cpu)), after.memoryUsedBytes(),
                rate(before.diskReadBytes(), after.diskReadBytes(), seconds), rate(before.diskWriteBytes(), after.diskWriteBytes(), seconds),
                rate(before.netRxBytes(), after.netRxBytes(), seconds), rate(before.netTxBytes(), after.netTxBytes(), seconds));
    }

    private static double rate(long before, long after, double seconds) {
        return after < before ? 0 : (after - before) / seconds;
    }
}
