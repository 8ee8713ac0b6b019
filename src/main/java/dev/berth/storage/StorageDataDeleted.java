package dev.berth.storage;

/**
 * Fired after a tenant's instance was deleted together with its data volume: its buckets and MinIO's service
 * accounts are gone, so what Berth recorded about them (access keys, measured usage) goes too.
 */
public record StorageDataDeleted(long tenantId) {
}
