package dev.berth.compute;

/** A domain's state as libvirt reports it, plus UNKNOWN for a host that did not answer. */
public enum DomainState {
    RUNNING, BLOCKED, PAUSED, SHUTDOWN, SHUTOFF, CRASHED, PMSUSPENDED, NOSTATE, UNKNOWN;

    /** Running in the sense a person means: the guest is up (or paused/blocked but alive). */
    public boolean active() {
        return this == RUNNING || this == BLOCKED || this == PAUSED || this == SHUTDOWN || this == PMSUSPENDED;
    }
}
