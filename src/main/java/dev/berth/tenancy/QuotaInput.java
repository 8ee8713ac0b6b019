package dev.berth.tenancy;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A quota as written by a person or a script: counts as numbers, sizes with units ({@code 500M},
 * {@code 20 GiB}, {@code 1.5T}; a bare number is bytes), CPUs as a decimal ({@code 1.5}). The same rules
 * check the form and the API ({@link QuotaRules}).
 */
@Schema(description = "Quota; sizes accept units such as 500M, 20 GiB, 1.5T (binary) or 300MB (decimal)")
public record QuotaInput(
        @Schema(examples = "10") String vms,
        @Schema(examples = "32") String vcpus,
        @Schema(examples = "64 GiB") String memory,
        @Schema(examples = "20") String buckets,
        @Schema(examples = "80 GiB", description = "warn past this much stored data") String storageSoft,
        @Schema(examples = "100 GiB", description = "refuse past this much stored data") String storageHard,
        @Schema(examples = "20") String accessKeys,
        @Schema(examples = "1.5", description = "CPUs of the tenant's storage container") String containerCpus,
        @Schema(examples = "1 GiB") String containerMemory,
        @Schema(examples = "100M", description = "block-I/O read bytes per second; 0 = unthrottled") String containerReadBps,
        @Schema(examples = "50M", description = "block-I/O write bytes per second; 0 = unthrottled") String containerWriteBps,
        @Schema(examples = "200 Mbit/s", description = "network bandwidth of the storage instance, each way: 200 Mbit/s, 25 MiB/s; absent or unlimited = no cap")
        String networkBandwidth,
        @Schema(examples = "500 GiB", description = "disk of the machines Berth creates for the tenant; absent: the default") String disk) {

    /** Without a network cap and without a disk quota: the form as it was before those fields existed. */
    public QuotaInput(String vms, String vcpus, String memory, String buckets, String storageSoft, String storageHard,
                      String accessKeys, String containerCpus, String containerMemory, String containerReadBps,
                      String containerWriteBps) {
        this(vms, vcpus, memory, buckets, storageSoft, storageHard, accessKeys, containerCpus, containerMemory,
                containerReadBps, containerWriteBps, null, null);
    }

    QuotaInput withDisk(String d) {
        return new QuotaInput(vms, vcpus, memory, buckets, storageSoft, storageHard, accessKeys, containerCpus,
                containerMemory, containerReadBps, containerWriteBps, networkBandwidth, d);
    }
}
