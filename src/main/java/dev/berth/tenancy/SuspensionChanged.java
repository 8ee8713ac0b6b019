package dev.berth.tenancy;

/**
 * Fired (CDI event) after a tenant's suspension is committed, so features holding its data access (storage keys)
 * can follow: tenancy does not know who listens.
 */
public record SuspensionChanged(long tenantId, String slug, boolean suspended, boolean keepDataAccess) {
}
