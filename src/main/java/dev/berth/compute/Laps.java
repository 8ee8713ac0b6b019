package dev.berth.compute;

import dev.berth.common.BerthMeters;

/**
 * Times consecutive steps of one creation into {@code berth_vm_create_step_seconds{step}}: each {@link #lap} records
 * the time since the previous one (or since this was made). One per thread of work; not shared.
 */
final class Laps {
    private long last = System.nanoTime();

    void lap(String step) {
        long now = System.nanoTime();
        BerthMeters.vmCreateStep(step, now - last);
        last = now;
    }
}
