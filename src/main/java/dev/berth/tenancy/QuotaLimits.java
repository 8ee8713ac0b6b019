package dev.berth.tenancy;

import dev.berth.common.ByteSize;
import java.math.BigDecimal;

/**
 * A tenant's limits. Sizes in bytes, container CPUs in thousandths; block-I/O rates in bytes per second,
 * where 0 means unthrottled; the storage instance's network cap in bytes per second each way, 0 = unlimited;
 * diskBytes: disk of the machines Berth makes for the tenant (issue 20).
 */
public record QuotaLimits(int vms, int vcpus, long memoryBytes, int buckets, long storageSoftBytes,
                          long storageHardBytes, int accessKeys, int containerMilliCpus, long containerMemoryBytes,
                          long containerReadBps, long containerWriteBps, long networkRate, long diskBytes) {

    /** Without a network cap (unlimited) and without disk for Berth-made machines. */
    public QuotaLimits(int vms, int vcpus, long memoryBytes, int buckets, long storageSoftBytes, long storageHardBytes,
                       int accessKeys, int containerMilliCpus, long containerMemoryBytes, long containerReadBps,
                       long containerWriteBps) {
        this(vms, vcpus, memoryBytes, buckets, storageSoftBytes, storageHardBytes, accessKeys, containerMilliCpus,
                containerMemoryBytes, containerReadBps, containerWriteBps, 0, 0);
    }

    /** The limits as a person would type them back into the form (exact: they parse back to the same bytes). */
    public QuotaInput asInput() {
        return new QuotaInput(String.valueOf(vms), String.valueOf(vcpus), ByteSize.formatExact(memoryBytes),
                String.valueOf(buckets), ByteSize.formatExact(storageSoftBytes), ByteSize.formatExact(storageHardBytes),
                String.valueOf(accessKeys),
                BigDecimal.valueOf(containerMilliCpus, 3).stripTrailingZeros().toPlainString(),
                ByteSize.formatExact(containerMemoryBytes), ByteSize.formatExact(containerReadBps),
                ByteSize.formatExact(containerWriteBps), dev.berth.common.Bandwidth.formatExact(networkRate),
                ByteSize.formatExact(diskBytes));
    }
}
