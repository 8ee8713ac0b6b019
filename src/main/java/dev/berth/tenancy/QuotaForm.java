package dev.berth.tenancy;

import org.jboss.resteasy.reactive.RestForm;

/** The quota form as posted by the page; the same rules as the API check it. */
public class QuotaForm {
    @RestForm public String vms;
    @RestForm public String vcpus;
    @RestForm public String memory;
    @RestForm public String buckets;
    @RestForm public String storageSoft;
    @RestForm public String storageHard;
    @RestForm public String accessKeys;
    @RestForm public String containerCpus;
    @RestForm public String containerMemory;
    @RestForm public String containerReadBps;
    @RestForm public String containerWriteBps;
    @RestForm public String networkBandwidth;
    @RestForm public String disk;

    QuotaInput toInput() {
        return new QuotaInput(vms, vcpus, memory, buckets, storageSoft, storageHard, accessKeys, containerCpus,
                containerMemory, containerReadBps, containerWriteBps, networkBandwidth, disk);
    }
}
