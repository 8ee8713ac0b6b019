package dev.berth.storage;

import java.util.Objects;

/**
 * How Berth reaches a tenant's ready MinIO instance: its S3 endpoint (as a VM would use it: the Docker
 * host's storage address and the instance's port) and the root credentials Berth generated.
 *
 * <p>{@link #toString()} never shows the root password, so the record is safe in logs and exceptions.
 */
public record InstanceAccess(long tenantId, String endpoint, String rootUser, String rootPassword) {
    public InstanceAccess {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(rootUser, "rootUser");
        Objects.requireNonNull(rootPassword, "rootPassword");
    }

    @Override
    public String toString() {
        return "InstanceAccess[tenantId=" + tenantId + ", endpoint=" + endpoint + ", rootUser=" + rootUser + "]";
    }
}
