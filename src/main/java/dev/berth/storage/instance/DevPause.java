package dev.berth.storage.instance;

import dev.berth.storage.StorageConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Crash-test hook: holds the reconciler just before it records the end of one provisioning step
 * ({@code berth.storage.dev-pause-at}, for {@code berth.storage.dev-pause}), so that a test can kill the portal
 * with the step's work done on the host and not yet recorded — the state a crash there leaves, which is too short
 * to hit otherwise. Inert unless development mode is on; outside it Berth refuses to start with the hook set, so a
 * deployment cannot carry it by mistake.
 */
@ApplicationScoped
public class DevPause {
    private static final Logger LOG = Logger.getLogger(DevPause.class);

    @ConfigProperty(name = "berth.development-mode", defaultValue = "false")
    boolean developmentMode;
    @Inject
    StorageConfig config;

    void check(@Observes StartupEvent event) {
        String problem = problem(developmentMode, config.devPauseAt(), config.devPause());
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
        config.devPauseAt().ifPresent(step -> LOG.warnf(
                "Development mode: the storage reconciler pauses %s before it records the end of %s (berth.storage.dev-pause-at)",
                config.devPause().orElseThrow(), step));
    }

    /** What is wrong with these settings; null when nothing is. */
    static String problem(boolean developmentMode, Optional<InstanceStatus> at, Optional<Duration> pause) {
        if (at.isEmpty() && pause.isEmpty()) {
            return null;
        }
        if (!developmentMode) {
            return "berth.storage.dev-pause-at and berth.storage.dev-pause are a crash-test hook: Berth refuses them"
                    + " outside development mode. Unset BERTH_STORAGE_DEV_PAUSE_AT and BERTH_STORAGE_DEV_PAUSE.";
        }
        if (at.isEmpty() || pause.isEmpty() || pause.get().isNegative() || pause.get().isZero()) {
            return "berth.storage.dev-pause-at needs berth.storage.dev-pause (a positive duration), and the other way round";
        }
        return null;
    }

    /** Called by the reconciler before it records that instance {@code id} leaves {@code step}. */
    void beforeLeaving(long id, InstanceStatus step) {
        if (!developmentMode || config.devPauseAt().isEmpty() || config.devPauseAt().get() != step) {
            return;
        }
        Duration pause = config.devPause().orElseThrow();
        LOG.warnf("storage instance %d: paused %s before leaving %s (berth.storage.dev-pause-at)", id, pause, step);
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
