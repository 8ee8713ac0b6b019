package dev.berth.storage;

import dev.berth.common.ConflictException;

/** The tenant has no ready instance (not activated, provisioning, suspended): a 409 that says so, not an error. */
public class StorageNotActiveException extends ConflictException {
    public StorageNotActiveException(String tenant) {
        super("Storage is not active for tenant " + tenant + ": it has no ready storage instance. Activate storage on the Storage page first.");
    }
}
