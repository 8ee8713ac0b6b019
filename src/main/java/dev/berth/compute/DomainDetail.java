package dev.berth.compute;

import java.util.List;

/** Everything the domain XML says that a tenant cares about, parsed with a real XML parser. */
public record DomainDetail(DomainSummary summary, List<Disk> disks, List<Nic> nics, Graphics graphics) {
    /**
     * @param bus          virtio, ide, sata, scsi, usb …
     * @param format       the driver type: qcow2, raw … (null if not given)
     * @param cache        the driver cache mode: none, writeback, writethrough … (null = hypervisor default)
     * @param source       file path, block device or network source name
     * @param sizeBytes    capacity where libvirt knows it (block info), else null
     * @param preallocated for qcow2 files: whether the image is preallocated (allocation ≥ capacity), null when it cannot be seen
     * @param backingFile  the image an overlay is backed by ({@code <backingStore>}), null when it has none or libvirt does not say
     */
    public record Disk(String target, String bus, String format, String cache, String source, Long sizeBytes,
                       Boolean preallocated, String backingFile) {
        public Disk(String target, String bus, String format, String cache, String source, Long sizeBytes, Boolean preallocated) {
            this(target, bus, format, cache, source, sizeBytes, preallocated, null);
        }
    }

    /** @param network the libvirt network name, or null; @param bridge the host bridge, or null */
    public record Nic(String model, String mac, String network, String bridge) {
    }

    /** VNC or SPICE; port is -1 when autoport has not assigned one (domain not running). */
    public record Graphics(String type, int port, String listen) {
    }
}
