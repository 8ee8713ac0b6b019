package dev.berth.compute;

import dev.berth.common.ByteSize;
import dev.berth.tenancy.QuotaLimits;
import dev.berth.tenancy.TenantUsage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rules of creating a machine, without libvirt or a database: its name, whether it fits the image and the
 * tenant's quota, and where it goes.
 */
public final class Creation {
    /** A hostname label: what a guest can call itself and a libvirt name can carry without quoting. */
    static final Pattern NAME = Pattern.compile("[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?");

    /** A Berth-made machine's life; assigned machines have none. */
    public enum Status { CREATING, READY, FAILED, DELETING }

    /** What creating does, in order: the page shows them as steps. */
    public enum Step {
        RESERVED("Quota reserved"), DISK("Disk created"), SEED("First-boot data written"), DEFINED("Machine defined"),
        STARTED("Started");

        public final String label;

        Step(String label) {
            this.label = label;
        }
    }

    private Creation() {
    }

    /** Empty when acceptable; else why not, in words for the name field. */
    public static Optional<String> nameRefusal(String name) {
        if (name == null || name.isBlank()) {
            return Optional.of("is required");
        }
        if (!NAME.matcher(name).matches()) {
            return Optional.of("use 1-32 lower-case letters, digits and '-', starting with a letter and not ending with '-'");
        }
        return Optional.empty();
    }

    /** libvirt's name for a tenant's machine: unique per host because slugs and names cannot contain '.'. */
    public static String domainName(String tenantSlug, String name) {
        return tenantSlug + "." + name;
    }

    /** The overlay volume of a machine: named by its domain UUID, so the name is known before it exists. */
    public static String overlayVolume(String domainUuid) {
        return domainUuid + ".qcow2";
    }

    /** The NoCloud seed volume of a machine, named like its overlay. */
    public static String seedVolume(String domainUuid) {
        return domainUuid + "-seed.iso";
    }

    /** A size: vCPUs, memory, disk. */
    public record Size(int vcpus, long memoryBytes, long diskBytes) {
    }

    /** Empty when the flavour meets the image's minimums. */
    public static Optional<String> fitRefusal(String image, long minDisk, long minMemory, String flavour, Size size) {
        var broken = new ArrayList<String>();
        if (size.diskBytes() < minDisk) {
            broken.add("disk " + ByteSize.format(size.diskBytes()) + " < " + ByteSize.format(minDisk));
        }
        if (size.memoryBytes() < minMemory) {
            broken.add("memory " + ByteSize.format(size.memoryBytes()) + " < " + ByteSize.format(minMemory));
        }
        return broken.isEmpty() ? Optional.empty()
                : Optional.of("Flavour " + flavour + " is too small for image " + image + ": " + String.join(", ", broken) + ".");
    }

    /** Empty when one more machine of this size keeps the tenant within its machine, vCPU, memory and disk quota. */
    public static Optional<String> quotaRefusal(String tenant, QuotaLimits quota, TenantUsage now, Size adding) {
        int vms = now.vms() + 1;
        long vcpus = (long) now.vcpus() + adding.vcpus();
        long memory = now.memoryBytes() + adding.memoryBytes();
        long disk = now.diskBytes() + adding.diskBytes();
        var broken = new ArrayList<String>();
        if (vms > quota.vms()) {
            broken.add(vms + " machines (quota " + quota.vms() + ")");
        }
        if (vcpus > quota.vcpus()) {
            broken.add(vcpus + " vCPUs (quota " + quota.vcpus() + ")");
        }
        if (memory > quota.memoryBytes()) {
            broken.add(ByteSize.format(memory) + " of memory (quota " + ByteSize.format(quota.memoryBytes()) + ")");
        }
        if (disk > quota.diskBytes()) {
            broken.add(ByteSize.format(disk) + " of disk (quota " + ByteSize.format(quota.diskBytes()) + ")");
        }
        return broken.isEmpty() ? Optional.empty()
                : Optional.of("Refused: " + tenant + " would have " + String.join(", ", broken)
                + ". Delete a machine, choose a smaller flavour or ask an administrator for more quota.");
    }

    /**
     * A KVM host that holds the image, as placement sees it.
     *
     * @param answered     whether it listed its domains just now (a host that does not answer gets nothing)
     * @param cpus         logical CPUs (last probe); null when never probed
     * @param memoryBytes  memory (last probe); null when never probed
     * @param usedVcpus    vCPUs of every domain defined there, running or not (a shut-off one can start any time)
     * @param usedMemory   memory of every domain defined there
     */
    public record Candidate(long hostId, String name, boolean answered, Integer cpus, Long memoryBytes, long usedVcpus,
                            long usedMemory) {
    }

    /** @param hostId the chosen host; null with {@code why} saying, per host, why none fits */
    public record Placement(Long hostId, String why) {
    }

    /**
     * The placement rule: among enabled KVM hosts that hold the image and answer now, those with room — memory of
     * every defined domain plus the new one within the host's memory, and their vCPUs within {@code cpuOvercommit}
     * × the host's CPUs — and of those the one with the most memory left afterwards (then fewer vCPUs committed,
     * then the name). Memory is never overcommitted: a guest whose memory the host cannot back gets killed.
     */
    public static Placement place(List<Candidate> candidates, Size size, double cpuOvercommit) {
        var why = new ArrayList<String>();
        Candidate best = null;
        Comparator<Candidate> order = Comparator.<Candidate>comparingLong(c -> c.memoryBytes() - c.usedMemory()).reversed()
                .thenComparingLong(Candidate::usedVcpus).thenComparing(Candidate::name);
        for (Candidate c : candidates) {
            if (!c.answered()) {
                why.add(c.name() + " does not answer");
            } else if (c.cpus() == null || c.memoryBytes() == null) {
                why.add(c.name() + " has not been probed yet (capacity unknown)");
            } else if (c.usedMemory() + size.memoryBytes() > c.memoryBytes()) {
                why.add(c.name() + " has " + ByteSize.format(Math.max(0, c.memoryBytes() - c.usedMemory())) + " of memory left");
            } else if (c.usedVcpus() + size.vcpus() > Math.floor(c.cpus() * cpuOvercommit)) {
                why.add(c.name() + " has " + Math.max(0, (long) Math.floor(c.cpus() * cpuOvercommit) - c.usedVcpus()) + " vCPUs left");
            } else if (best == null || order.compare(c, best) < 0) {
                best = c;
            }
        }
        if (best != null) {
            return new Placement(best.hostId(), null);
        }
        return new Placement(null, candidates.isEmpty() ? "no enabled KVM host holds this image"
                : "no host has room: " + String.join("; ", why));
    }
}
