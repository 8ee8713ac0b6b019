package dev.berth.compute;

import dev.berth.hosts.Endpoint;
import java.time.Duration;
import java.util.List;

/**
 * Port to the hypervisor of one KVM host. The deciding code (assignment, quotas, allowed actions) talks to
 * this; only the adapter knows libvirt. Every call returns or throws within {@code timeout}.
 */
public interface Hypervisor {
    List<DomainSummary> listDomains(Endpoint host, Duration timeout) throws HypervisorException;

    DomainDetail describe(Endpoint host, String uuid, Duration timeout) throws HypervisorException;

    DomainStats stats(Endpoint host, String uuid, Duration timeout) throws HypervisorException;

    /** Asks the host to act; returns once libvirt accepted the request (an ACPI shutdown may take a while to finish). */
    void act(Endpoint host, String uuid, PowerAction action, Duration timeout) throws HypervisorException;

    /** Defines a persistent domain from libvirt domain XML (not started); returns its UUID. */
    String define(Endpoint host, String domainXml, Duration timeout) throws HypervisorException;
}
