package dev.berth.storage.instance;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

@Tag(DatabasePass.INDEPENDENT)
class DevPauseTest {
    /** The crash-test hook is refused outside development mode (Berth then does not start), and half of it is an error. */
    @Test
    void theDevPauseIsRefusedOutsideDevelopmentMode() {
        var at = Optional.of(InstanceStatus.CREATING);
        var pause = Optional.of(Duration.ofMinutes(10));
        assertNull(DevPause.problem(false, Optional.empty(), Optional.empty()));
        assertTrue(DevPause.problem(false, at, pause).contains("outside development mode"));
        assertTrue(DevPause.problem(false, Optional.empty(), pause).contains("outside development mode"));
        assertNull(DevPause.problem(true, at, pause));
        assertTrue(DevPause.problem(true, at, Optional.empty()).contains("needs"));
        assertTrue(DevPause.problem(true, at, Optional.of(Duration.ZERO)).contains("needs"));
    }
}
