package dev.berth.storage.instance;

import dev.berth.hosts.Endpoint;
import java.util.List;

/**
 * Port to the network shaping of one storage host: caps per instance port, in both directions. The deciding code
 * ({@link BandwidthService}) talks to this; only the adapter knows how (Linux traffic control, applied by a helper
 * container through the engine's API). Rules carry a label naming this deployment's scope and the instance.
 */
public interface TrafficShaper {
    /** What an instance should get: both directions at most this many bytes per second. */
    record Cap(long instanceId, int port, long bytesPerSecond) {
    }

    /**
     * The rules found for one port. {@code instanceId} is null when the rules carry no label of this scope (another
     * deployment's, or a partial set); {@code complete} is false when a part is missing (after a host reboot, say).
     * Rates are bytes per second as the kernel reports them (rounded); counters are bytes since the rule was made.
     */
    record Rule(int port, Long instanceId, boolean ourScope, long egressRate, long ingressRate, boolean complete,
                long egressBytes, long ingressBytes) {
    }

    /** The host's rules now; {@code device} is the interface holding the storage address. */
    record HostRules(String device, List<Rule> rules) {
    }

    /** Reads the rules on the interface that holds {@code address}. */
    HostRules observe(Endpoint host, String address) throws RuntimeUnavailableException;

    /** Makes the caps in {@code set} exactly so (changing live what exists) and removes the rules of {@code remove}; returns what is there after. */
    HostRules apply(Endpoint host, String address, List<Cap> set, List<Integer> remove) throws RuntimeUnavailableException;
}
