package dev.berth.compute;

import dev.berth.common.ByteSize;

/**
 * An assigned machine as a tenant sees it: live state from its host, or UNKNOWN with the reason when the
 * host did not answer, or missing when the host answered without it.
 *
 * @param id   Berth's id (never the libvirt name: names are neither unique nor stable)
 * @param note why the state is unknown or the machine missing; null when all is well
 */
public record MachineView(long id, String name, long hostId, String host, String uuid, DomainState state, boolean missing,
                          int vcpus, long memoryBytes, String note) {
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
