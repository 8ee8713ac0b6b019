package dev.berth.hosts;

import java.time.Duration;

/**
 * Port to one kind of host. Adapters (libvirt, Docker) implement it; nothing else imports their libraries.
 */
public interface HostConnector {
    HostKind kind();

    /**
     * Connects, reads the host's facts, disconnects. Returns or throws within {@code timeout} (plus a small
     * margin) even when the host accepts the connection and then never answers.
     */
    HostFacts probe(Endpoint endpoint, Duration timeout) throws HostProbeException;
}
