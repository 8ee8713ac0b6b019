package dev.berth.compute;

import dev.berth.audit.Actor;
import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.ByteSize;
import dev.berth.common.ConflictException;
import dev.berth.common.Errors;
import dev.berth.common.InvalidInputException;
import dev.berth.common.NotFoundException;
import dev.berth.hosts.HostKind;
import dev.berth.hosts.HostView;
import dev.berth.hosts.HostService;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Images and flavours: what administrators offer, and what a tenant may choose from. */
@ApplicationScoped
public class Catalog implements dev.berth.hosts.HostResidents {
    static final Pattern CATALOG_NAME = Pattern.compile("[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?");
    static final Pattern VOLUME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,254}");

    @Inject
    HostService hosts;
    @Inject
    Hypervisor hypervisor;
    @Inject
    TenantService tenants;
    @Inject
    AuditLog audit;
    @Inject
    ComputeConfig config;

    @Schema(description = "A base image: a volume already in a libvirt storage pool of a KVM host")
    public record ImageInput(@Schema(examples = "debian-12") String name, @Schema(examples = "Debian 12") String os,
                             @Schema(examples = "qcow2", description = "qcow2 or raw; absent: as libvirt reports it") String format,
                             @Schema(examples = "4 GiB") String minDisk, @Schema(examples = "512 MiB") String minMemory,
                             Boolean cloudInit, Long hostId, @Schema(examples = "default") String pool,
                             @Schema(examples = "debian-12.qcow2") String volume,
                             @Schema(description = "direct kernel boot, for images without a boot loader: the kernel's path on the host") String kernel,
                             @Schema(description = "with kernel: the initramfs's path on the host") String initrd,
                             @Schema(description = "with kernel: the kernel command line", examples = "root=/dev/vda rw console=ttyS0") String cmdline) {
        public ImageInput(String name, String os, String format, String minDisk, String minMemory, Boolean cloudInit, Long hostId,
                          String pool, String volume) {
            this(name, os, format, minDisk, minMemory, cloudInit, hostId, pool, volume, null, null, null);
        }
    }

    public record ImageView(long id, String name, String os, String format, long minDiskBytes, long minMemoryBytes,
                            boolean cloudInit, long hostId, String host, String pool, String volume) {
        public String minDiskText() {
            return ByteSize.format(minDiskBytes);
        }

        public String minMemoryText() {
            return ByteSize.format(minMemoryBytes);
        }
    }

    /** What a tenant sees of an image: a name, whichever hosts hold it. */
    public record OfferedImage(String name, String os, long minDiskBytes, long minMemoryBytes, boolean cloudInit) {
    }

    @Schema(description = "A machine size; tenant absent: offered to every tenant")
    public record FlavourInput(@Schema(examples = "small") String name, @Schema(examples = "1") String vcpus,
                               @Schema(examples = "1 GiB") String memory, @Schema(examples = "10 GiB") String disk,
                               @Schema(examples = "acme") String tenant) {
    }

    public record FlavourView(long id, String name, int vcpus, long memoryBytes, long diskBytes, String tenant) {
        public String memoryText() {
            return ByteSize.format(memoryBytes);
        }

        public String diskText() {
            return ByteSize.format(diskBytes);
        }
    }

    // ------------------------------------------------------------------ images

    public List<ImageView> images() {
        var names = new LinkedHashMap<Long, String>();
        return QuarkusTransaction.joiningExisting().call(() -> MachineImage.<MachineImage>list("order by name, id")).stream()
                .map(i -> view(i, names.computeIfAbsent(i.hostId, id -> hosts.get(id).name()))).toList();
    }

    public ImageView registerImage(Actor actor, ImageInput in) {
        if (in == null) {
            throw InvalidInputException.of("name", "is required");
        }
        var errors = new Errors();
        String name = errors.required("name", in.name(), 63);
        if (name != null && !CATALOG_NAME.matcher(name).matches()) {
            errors.add("name", "use lower-case letters, digits, '.', '_' and '-'");
        }
        String os = errors.required("os", in.os(), 100);
        String format = errors.optional("format", in.format(), 16);
        if (format != null && !List.of("qcow2", "raw").contains(format.toLowerCase(Locale.ROOT))) {
            errors.add("format", "must be qcow2 or raw");
        }
        long minDisk = size(errors, "minDisk", in.minDisk());
        long minMemory = size(errors, "minMemory", in.minMemory());
        String pool = errors.required("pool", in.pool(), 255);
        String volume = errors.required("volume", in.volume(), 255);
        if (pool != null && !VOLUME.matcher(pool).matches()) {
            errors.add("pool", "is not a storage pool name");
        }
        if (volume != null && !VOLUME.matcher(volume).matches()) {
            errors.add("volume", "is not a volume name");
        }
        String kernel = errors.optional("kernel", in.kernel(), 1000);
        String initrd = errors.optional("initrd", in.initrd(), 1000);
        String cmdline = errors.optional("cmdline", in.cmdline(), 1000);
        for (String[] f : new String[][]{{"kernel", kernel}, {"initrd", initrd}}) {
            if (f[1] != null && !f[1].matches("/[A-Za-z0-9._+/-]*")) {
                errors.add(f[0], "must be an absolute path on the host");
            }
        }
        if (kernel == null && (initrd != null || cmdline != null)) {
            errors.add("kernel", "is required with an initrd or a command line");
        }
        HostView host = null;
        if (in.hostId() == null) {
            errors.add("hostId", "is required");
        } else {
            try {
                host = hosts.get(in.hostId());
                if (host.kind() != HostKind.KVM) {
                    errors.add("hostId", host.name() + " is not a KVM host");
                }
            } catch (NotFoundException e) {
                errors.add("hostId", "there is no host " + in.hostId());
            }
        }
        errors.throwIfAny();
        HostView h = host;
        if (QuarkusTransaction.joiningExisting().call(() -> MachineImage.count("hostId = ?1 and name = ?2", h.id(), name)) > 0) {
            throw InvalidInputException.of("name", "host " + h.name() + " already has an image named '" + name + "'");
        }
        Hypervisor.Volume vol;
        try {
            vol = hypervisor.volume(hosts.endpoint(h.id()), pool, volume, config.callTimeout())
                    .orElseThrow(() -> InvalidInputException.of("volume", "pool " + pool + " on " + h.name() + " has no volume " + volume));
        } catch (HypervisorException e) {
            audit.record(actor.username(), null, "image.register", name, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw new ConflictException("Host " + h.name() + " could not show the volume: " + e.getMessage());
        }
        String actual = vol.format() == null ? null : vol.format().toLowerCase(Locale.ROOT);
        if (format != null && actual != null && !actual.equals(format.toLowerCase(Locale.ROOT))) {
            throw InvalidInputException.of("format", "the volume is " + actual + ", not " + format);
        }
        String fmt = format != null ? format.toLowerCase(Locale.ROOT) : actual != null ? actual : "raw";
        MachineImage saved = QuarkusTransaction.requiringNew().call(() -> {
            var i = new MachineImage();
            i.name = name;
            i.os = os;
            i.format = fmt;
            i.minDiskBytes = Math.max(minDisk, vol.capacityBytes());
            i.minMemoryBytes = minMemory;
            i.cloudInit = Boolean.TRUE.equals(in.cloudInit());
            i.hostId = h.id();
            i.pool = pool;
            i.volume = volume;
            i.volumePath = vol.path();
            i.kernel = kernel;
            i.initrd = initrd;
            i.cmdline = kernel == null ? null : cmdline != null ? cmdline : "root=/dev/vda rw console=ttyS0";
            i.createdAt = Instant.now();
            i.createdBy = actor.username();
            i.persist();
            return i;
        });
        audit.record(actor.username(), null, "image.register", name + " (" + h.name() + " " + pool + "/" + volume + ")",
                Outcome.OK, null, actor.requestId());
        return view(saved, h.name());
    }

    /** Removes an image from the catalogue (the volume stays); refused while machines are overlays on it. */
    public void deleteImage(Actor actor, long id) {
        MachineImage i = QuarkusTransaction.joiningExisting().call(() -> MachineImage.<MachineImage>findById(id));
        if (i == null) {
            throw new NotFoundException("There is no image " + id + ".");
        }
        long using = QuarkusTransaction.joiningExisting().call(() -> VmAssignment.count("imageId", id));
        if (using > 0) {
            String reason = "Image " + i.name + " is the base of " + using + " machine(s); delete them first.";
            audit.record(actor.username(), null, "image.delete", i.name, Outcome.FAILED, reason, actor.requestId());
            throw new ConflictException(reason);
        }
        QuarkusTransaction.requiringNew().run(() -> MachineImage.deleteById(id));
        audit.record(actor.username(), null, "image.delete", i.name, Outcome.OK, null, actor.requestId());
    }

    /** The images a tenant may choose: one entry per name (the smallest minimums where hosts disagree). */
    public List<OfferedImage> offeredImages() {
        var byName = new LinkedHashMap<String, OfferedImage>();
        for (MachineImage i : QuarkusTransaction.joiningExisting().call(() -> MachineImage.<MachineImage>list("order by name, id"))) {
            byName.putIfAbsent(i.name, new OfferedImage(i.name, i.os, i.minDiskBytes, i.minMemoryBytes, i.cloudInit));
        }
        return List.copyOf(byName.values());
    }

    List<MachineImage> imagesNamed(String name) {
        return QuarkusTransaction.joiningExisting().call(() -> MachineImage.<MachineImage>list("name", name));
    }

    /** A host with registered images is not removed under them. */
    @Override
    public List<String> residentsOn(long hostId) {
        return QuarkusTransaction.joiningExisting().call(() -> MachineImage.<MachineImage>list("hostId", hostId)).stream()
                .map(i -> "image " + i.name).toList();
    }

    // ------------------------------------------------------------------ flavours

    public List<FlavourView> flavours() {
        return QuarkusTransaction.joiningExisting().call(() -> Flavour.<Flavour>list("order by name, id")).stream()
                .map(this::view).toList();
    }

    /** Flavours a tenant may choose: the public ones and its own (its own win on a shared name). */
    public List<FlavourView> offeredFlavours(String slug) {
        long tenantId = tenants.idOf(slug);
        var byName = new LinkedHashMap<String, FlavourView>();
        List<Flavour> all = QuarkusTransaction.joiningExisting().call(() -> Flavour.<Flavour>list(
                "tenantId is null or tenantId = ?1 order by name, id", tenantId));
        all.stream().filter(f -> f.tenantId != null).forEach(f -> byName.put(f.name, view(f)));
        all.stream().filter(f -> f.tenantId == null).forEach(f -> byName.putIfAbsent(f.name, view(f)));
        return byName.values().stream().sorted(Comparator.comparingLong(FlavourView::memoryBytes).thenComparing(FlavourView::name)).toList();
    }

    Optional<FlavourView> offeredFlavour(String slug, String name) {
        return offeredFlavours(slug).stream().filter(f -> f.name().equals(name)).findFirst();
    }

    public FlavourView createFlavour(Actor actor, FlavourInput in) {
        if (in == null) {
            throw InvalidInputException.of("name", "is required");
        }
        var errors = new Errors();
        String name = errors.required("name", in.name(), 63);
        if (name != null && !CATALOG_NAME.matcher(name).matches()) {
            errors.add("name", "use lower-case letters, digits, '.', '_' and '-'");
        }
        int vcpus = 0;
        String v = errors.required("vcpus", in.vcpus(), 4);
        if (v != null) {
            try {
                vcpus = Integer.parseInt(v);
                if (vcpus < 1 || vcpus > 256) {
                    errors.add("vcpus", "must be 1 to 256");
                }
            } catch (NumberFormatException e) {
                errors.add("vcpus", "'" + v + "' is not a whole number");
            }
        }
        long memory = size(errors, "memory", in.memory());
        long disk = size(errors, "disk", in.disk());
        if (!errors.has("memory") && memory < 64L << 20) {
            errors.add("memory", "must be at least 64 MiB");
        }
        if (!errors.has("disk") && disk < 1L << 30) {
            errors.add("disk", "must be at least 1 GiB");
        }
        String tenant = errors.optional("tenant", in.tenant(), 63);
        Long tenantId = null;
        if (tenant != null) {
            try {
                tenantId = tenants.idOf(tenant);
            } catch (NotFoundException e) {
                errors.add("tenant", "there is no tenant '" + tenant + "'");
            }
        }
        errors.throwIfAny();
        Long t = tenantId;
        long clashes = QuarkusTransaction.joiningExisting().call(() -> t == null ? Flavour.count("name = ?1 and tenantId is null", name)
                : Flavour.count("name = ?1 and tenantId = ?2", name, t));
        if (clashes > 0) {
            throw InvalidInputException.of("name", "a flavour named '" + name + "' already exists" + (t == null ? "" : " for " + tenant));
        }
        int cpus = vcpus;
        Flavour saved = QuarkusTransaction.requiringNew().call(() -> {
            var f = new Flavour();
            f.name = name;
            f.vcpus = cpus;
            f.memoryBytes = memory;
            f.diskBytes = disk;
            f.tenantId = t;
            f.createdAt = Instant.now();
            f.createdBy = actor.username();
            f.persist();
            return f;
        });
        audit.record(actor.username(), tenant, "flavour.create", name + " (" + cpus + " vCPU, " + ByteSize.format(memory) + ", "
                + ByteSize.format(disk) + ")", Outcome.OK, null, actor.requestId());
        return view(saved);
    }

    /** Removes a flavour; machines made with it keep their size. */
    public void deleteFlavour(Actor actor, long id) {
        Flavour f = QuarkusTransaction.joiningExisting().call(() -> Flavour.<Flavour>findById(id));
        if (f == null) {
            throw new NotFoundException("There is no flavour " + id + ".");
        }
        QuarkusTransaction.requiringNew().run(() -> Flavour.deleteById(id));
        audit.record(actor.username(), f.tenantId == null ? null : tenants.slugOf(f.tenantId), "flavour.delete", f.name,
                Outcome.OK, null, actor.requestId());
    }

    private FlavourView view(Flavour f) {
        return new FlavourView(f.id, f.name, f.vcpus, f.memoryBytes, f.diskBytes, f.tenantId == null ? null : tenants.slugOf(f.tenantId));
    }

    private static ImageView view(MachineImage i, String host) {
        return new ImageView(i.id, i.name, i.os, i.format, i.minDiskBytes, i.minMemoryBytes, i.cloudInit, i.hostId, host, i.pool, i.volume);
    }

    private static long size(Errors errors, String field, String text) {
        if (text == null || text.isBlank()) {
            errors.add(field, "is required");
            return 0;
        }
        if (text.trim().startsWith("-")) {
            errors.add(field, "must not be negative");
            return 0;
        }
        try {
            return ByteSize.parse(text);
        } catch (IllegalArgumentException e) {
            errors.add(field, e.getMessage());
            return 0;
        }
    }
}
