package dev.berth.compute;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Advice from our KVM performance notes, read off a domain's definition. */
public final class TuningAdvice {
    /** @param subject the disk target or NIC MAC the advice is about */
    public record Advice(String subject, String problem, String fix) {
    }

    private TuningAdvice() {
    }

    /**
     * What to say when there is no advice: praise only for devices the machine has (a machine without disks or NICs is
     * not told it has good virtio disks and NICs).
     */
    public static String noAdvice(DomainDetail d) {
        int disks = d.disks().size();
        int nics = d.nics().size();
        if (disks == 0 && nics == 0) {
            return "Nothing to tune: this machine has no disks and no network interfaces.";
        }
        var parts = new ArrayList<String>();
        parts.add(disks == 0 ? "no disks" : disks + (disks == 1 ? " disk" : " disks") + " on virtio with a sensible cache mode");
        parts.add(nics == 0 ? "no network interfaces" : nics + (nics == 1 ? " network interface" : " network interfaces") + " on virtio");
        return "Nothing to improve: " + String.join("; ", parts) + ".";
    }

    public static List<Advice> of(DomainDetail d) {
        var advice = new ArrayList<Advice>();
        for (DomainDetail.Disk disk : d.disks()) {
            String bus = lower(disk.bus());
            if ("ide".equals(bus)) {
                advice.add(new Advice("disk " + disk.target(), "on the emulated IDE bus",
                        "use the virtio bus (paravirtual, far less CPU per I/O)"));
            }
            if ("writethrough".equals(lower(disk.cache()))) {
                advice.add(new Advice("disk " + disk.target(), "cache mode writethrough",
                        "use cache='none' (or 'writeback' when the guest flushes properly)"));
            }
            // An overlay is thin on purpose (its base holds the data): libvirt refuses metadata preallocation with a
            // backing store, so the advice is for standalone images only.
            if ("qcow2".equals(lower(disk.format())) && Boolean.FALSE.equals(disk.preallocated()) && disk.backingFile() == null) {
                advice.add(new Advice("disk " + disk.target(), "qcow2 image without preallocation",
                        "preallocate metadata (qemu-img create -o preallocation=metadata) or use raw"));
            }
        }
        for (DomainDetail.Nic nic : d.nics()) {
            if (!"virtio".equals(lower(nic.model()))) {
                advice.add(new Advice("NIC " + nic.mac(), "model " + (nic.model() == null ? "default (emulated)" : nic.model()),
                        "use model type='virtio'"));
            }
        }
        return advice;
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }
}
