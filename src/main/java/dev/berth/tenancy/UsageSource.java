package dev.berth.tenancy;

/**
 * A feature that consumes quota (machines, storage) reports a tenant's use of it. Tenancy adds up all
 * sources without knowing them, so it never imports the features that build on it.
 */
public interface UsageSource {
    TenantUsage usage(long tenantId);
}
