package dev.berth.tenancy;

import dev.berth.common.ByteSize;
import java.math.BigDecimal;

/**
 * A tenant's limits. Sizes in bytes, container CPUs in thousandths; block-I/O rates in bytes per second,
 * where 0 means unthrottled.
 */
public record QuotaLimits(int vms, int vcpus, long memoryBytes, int buckets, long storageSoftBytes,
                          long storageHardBytes, int accessKeys, int containerMilliCpus, long containerMemoryBytes,
                          long containerReadBps, long containerWriteBps) {

    /** The limits as a person would type them back into the form. */
    public QuotaInput asInput() {
        return new QuotaInput(String.valueOf(vms), String.valueOf(vcpus), ByteSize.format(memoryBytes),
                String.valueOf(buckets), ByteSize.format(storageSoftBytes), ByteSize.format(storageHardBytes),
                String.valueOf(accessKeys),
                BigDecimal.valueOf(containerMilliCpus, 3).stripTrailingZeros().toPlainString(),
                ByteSize.format(containerMemoryBytes), ByteSize.format(containerReadBps),
                ByteSize.format(containerWriteBps));
    }
}
