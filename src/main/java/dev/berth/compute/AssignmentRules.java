package dev.berth.compute;

import dev.berth.common.ByteSize;
import dev.berth.tenancy.QuotaLimits;
import dev.berth.tenancy.TenantUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Whether assigning these domains keeps a tenant within its machine, vCPU and memory quota. */
public final class AssignmentRules {
    private AssignmentRules() {
    }

    /** Empty when the tenant stays within quota; otherwise every limit it would break, in words. */
    public static Optional<String> quotaRefusal(String tenant, QuotaLimits quota, TenantUsage now, List<DomainSummary> adding) {
        int vms = now.vms() + adding.size();
        long vcpus = now.vcpus() + adding.stream().mapToLong(DomainSummary::vcpus).sum();
        long memory = now.memoryBytes() + adding.stream().mapToLong(DomainSummary::memoryBytes).sum();
        var broken = new ArrayList<String>();
        if (vms > quota.vms()) {
            broken.add(vms + " machines (quota " + quota.vms() + ")");
        }
        if (vcpus > quota.vcpus()) {
            broken.add(vcpus + " vCPUs (quota " + quota.vcpus() + ")");
        }
        if (memory > quota.memoryBytes()) {
            broken.add(ByteSize.format(memory) + " of memory (quota " + ByteSize.format(quota.memoryBytes()) + ")");
        }
        return broken.isEmpty() ? Optional.empty()
                : Optional.of("Refused: " + tenant + " would have " + String.join(", ", broken) + ". Raise its quota or assign fewer machines.");
    }
}
