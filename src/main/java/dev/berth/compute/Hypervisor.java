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

    /** Stops the domain if it runs, then undefines it; a domain that is not there is no error (deleting is idempotent). */
    void undefine(Endpoint host, String uuid, Duration timeout) throws HypervisorException;

    /** A volume in a storage pool of a host. @param format qcow2, raw …, or null when libvirt does not say */
    record Volume(String pool, String name, String path, long capacityBytes, long allocationBytes, String format) {
    }

    /** The volume, or empty when the pool has no volume of that name; an unknown pool is an exception. */
    java.util.Optional<Volume> volume(Endpoint host, String pool, String name, Duration timeout) throws HypervisorException;

    /** Creates a volume from libvirt volume XML in the pool and says where it is. */
    Volume createVolume(Endpoint host, String pool, String volumeXml, Duration timeout) throws HypervisorException;

    /** Writes these bytes into a volume from offset 0 (a seed image). */
    void upload(Endpoint host, String pool, String name, byte[] content, Duration timeout) throws HypervisorException;

    /** Deletes a volume; one that is not there is no error. */
    void deleteVolume(Endpoint host, String pool, String name, Duration timeout) throws HypervisorException;
}
