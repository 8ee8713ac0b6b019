package dev.berth.storage;

import java.util.Optional;

/**
 * The seam between the instance lifecycle (provisioning, reconciling) and what lives inside an instance
 * (buckets, access keys, mount instructions): the latter only needs to know where a tenant's ready
 * instance answers and how to sign in as its root.
 */
public interface InstanceDirectory {
    /** The tenant's instance if it is ready; empty while it is requested, provisioning, suspended or absent. */
    Optional<InstanceAccess> readyInstance(long tenantId);
}
