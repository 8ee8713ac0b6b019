package dev.berth.tenancy;

/**
 * Fired (CDI event) after an administrator's new quota is committed, so features holding resources sized by
 * it (storage containers) can resize them; tenancy does not know who listens.
 */
public record QuotaChanged(long tenantId, String slug, QuotaLimits limits) {
}
