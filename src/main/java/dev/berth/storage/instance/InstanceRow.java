package dev.berth.storage.instance;

import java.time.Instant;

/** An immutable copy of a storage instance row, for work done outside transactions. */
public record InstanceRow(long id, long tenantId, InstanceStatus status, boolean suspended, Long hostId, Integer port,
                          String containerName, String volumeName, String containerId, String rootUser,
                          String rootPasswordSealed, String lastError, int attempts, Instant nextAttemptAt,
                          Instant startedAt, Instant readyAt, String requestedBy, Instant createdAt, Instant updatedAt) {
    static InstanceRow of(StorageInstance i) {
        return new InstanceRow(i.id, i.tenantId, i.status, i.suspended, i.hostId, i.port, i.containerName, i.volumeName,
                i.containerId, i.rootUser, i.rootPasswordSealed, i.lastError, i.attempts, i.nextAttemptAt, i.startedAt,
                i.readyAt, i.requestedBy, i.createdAt, i.updatedAt);
    }

    @Override
    public String toString() { // the sealed password is not a secret in clear, but it has no business in logs either
        return "InstanceRow[id=" + id + ", tenantId=" + tenantId + ", status=" + status + ", hostId=" + hostId + ", port=" + port + "]";
    }
}
