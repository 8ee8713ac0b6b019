package dev.berth.hosts;

import java.util.List;

/**
 * A feature that places tenants' resources on hosts (assigned VMs, storage instances) says what lives on
 * a host, so a host is never removed from under them. Hosts adds up all of them without knowing them.
 */
public interface HostResidents {
    /** Human-readable residents, e.g. "VM web-1 of tenant acme"; empty when nothing lives there. */
    List<String> residentsOn(long hostId);
}
