package dev.berth.hosts;

import io.quarkus.arc.Arc;

/** Publishes the host gauges as a scheduled probe round does (scheduled probes are off in tests). */
public final class ProbeGauges {
    private ProbeGauges() {
    }

    public static void publish() {
        Arc.container().instance(HostProber.class).get().publish();
    }
}
