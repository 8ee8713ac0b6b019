package dev.berth.compute;

import dev.berth.common.ByteSize;
import java.time.Instant;

/**
 * An assigned machine as a tenant sees it: live state from its host, or UNKNOWN with the reason when the
 * host did not answer, or missing when the host answered without it.
 *
 * @param id   Berth's id (never the libvirt name: names are neither unique nor stable)
 * @param note why the state is unknown or the machine missing; null when all is well
 * @param runningSince when Berth started it or first saw it running (then {@code runningSinceExact} is false)
 * @param stateAt when the host reported this state: lists share a host's answer for up to
 *                {@code berth.compute.list-max-age}; null when the host did not answer
 */
public record MachineView(long id, String name, long hostId, String host, String uuid, DomainState state, boolean missing,
                          int vcpus, long memoryBytes, String note, Instant runningSince, boolean runningSinceExact, Instant stateAt) {
    /** Without uptime: a view in the making, before {@link #withUptime}. */
    public MachineView(long id, String name, long hostId, String host, String uuid, DomainState state, boolean missing,
                       int vcpus, long memoryBytes, String note) {
        this(id, name, hostId, host, uuid, state, missing, vcpus, memoryBytes, note, null, false, null);
    }

    MachineView withUptime(Uptime u) {
        return new MachineView(id, name, hostId, host, uuid, state, missing, vcpus, memoryBytes, note, u.since(), u.exact(), stateAt);
    }

    MachineView stateAt(Instant at) {
        return new MachineView(id, name, hostId, host, uuid, state, missing, vcpus, memoryBytes, note, runningSince, runningSinceExact, at);
    }

    /** "2 h 5 min", "≥ 12 min" when Berth only saw it running, or "—". */
    public String uptimeText() {
        String t = new Uptime(runningSince, runningSinceExact).text(Instant.now());
        return t == null ? "—" : t;
    }

    public String memoryText() {
        return ByteSize.format(memoryBytes);
    }

    /** Whether the state allows an action: the page disables the buttons that would only be refused. */
    public boolean allows(String action) {
        return !missing && PowerRules.refusal(name, state, PowerAction.valueOf(action)).isEmpty();
    }

    public String stateText() {
        return missing ? "missing" : state.name().toLowerCase(java.util.Locale.ROOT).replace("shutoff", "shut off");
    }
}
