package dev.berth.storage;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/**
 * Stand-in until the instance lifecycle provides a real {@link InstanceDirectory}: no tenant has a ready
 * instance, so storage pages say "storage is not active". Any other InstanceDirectory bean replaces it.
 */
@DefaultBean
@ApplicationScoped
public class NoInstances implements InstanceDirectory {
    @Override
    public Optional<InstanceAccess> readyInstance(long tenantId) {
        return Optional.empty();
    }
}
