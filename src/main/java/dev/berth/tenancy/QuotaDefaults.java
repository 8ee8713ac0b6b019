package dev.berth.tenancy;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The quota of a tenant no administrator has set one for; written like the form (units allowed). */
@ConfigMapping(prefix = "berth.quota.defaults")
public interface QuotaDefaults {
    @WithDefault("10")
    String vms();

    @WithDefault("32")
    String vcpus();

    @WithDefault("64GiB")
    String memory();

    @WithDefault("20")
    String buckets();

    @WithDefault("80GiB")
    String storageSoft();

    @WithDefault("100GiB")
    String storageHard();

    @WithDefault("20")
    String accessKeys();

    @WithDefault("1")
    String containerCpus();

    @WithDefault("1GiB")
    String containerMemory();

    @WithDefault("100MiB")
    String containerReadBps();

    @WithDefault("50MiB")
    String containerWriteBps();

    /** Network bandwidth of each storage instance, each way ("unlimited", "200 Mbit/s", "25 MiB/s"). */
    @WithDefault("unlimited")
    String networkBandwidth();

    /** Disk of the machines Berth creates for a tenant (issue 20). */
    @WithDefault("200GiB")
    String disk();

    default QuotaInput asInput() {
        return new QuotaInput(vms(), vcpus(), memory(), buckets(), storageSoft(), storageHard(), accessKeys(),
                containerCpus(), containerMemory(), containerReadBps(), containerWriteBps(), networkBandwidth(), disk());
    }
}
