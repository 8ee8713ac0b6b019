package dev.berth.storage.instance;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.BlkioRateDevice;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.RestartPolicy;
import dev.berth.common.BackendCalls;
import dev.berth.hosts.DockerClients;
import dev.berth.hosts.Endpoint;
import dev.berth.hosts.HostProbeException;
import dev.berth.storage.StorageConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The Docker adapter of {@link ContainerRuntime}: docker-java through {@link DockerClients} (the same
 * connection, TLS and timeout handling as the host probe). Only this class of the storage feature imports
 * docker-java.
 *
 * <p>CPU limits are set as period and quota rather than NanoCPUs, because the engine refuses to update a
 * quota in place on a container created with NanoCPUs. Memory swap equals memory: no swap.
 */
@ApplicationScoped
public class DockerRuntime implements ContainerRuntime {
    private static final long CPU_PERIOD = 100_000L;

    @Inject
    StorageConfig config;

    /** Engine data-root device per endpoint URI, found once. */
    private final Map<String, String> devices = new ConcurrentHashMap<>();

    @Override
    public EngineInfo info(Endpoint host) throws RuntimeUnavailableException {
        return call(host, "info", "read the engine's facts", c -> {
            var info = c.infoCmd().exec();
            return new EngineInfo(info.getNCPU() == null ? 0 : info.getNCPU(), info.getMemTotal() == null ? 0 : info.getMemTotal(),
                    info.getCGroupVersion());
        });
    }

    @Override
    public void ensureVolume(Endpoint host, String volume, Map<String, String> labels) throws RuntimeUnavailableException {
        call(host, "volume.create", "create volume " + volume, c -> {
            try {
                c.inspectVolumeCmd(volume).exec();
            } catch (NotFoundException e) {
                c.createVolumeCmd().withName(volume).withLabels(labels).exec();
            }
            return null;
        });
    }

    @Override
    public boolean volumeExists(Endpoint host, String volume) throws RuntimeUnavailableException {
        return call(host, "volume.inspect", "inspect volume " + volume, c -> {
            try {
                c.inspectVolumeCmd(volume).exec();
                return true;
            } catch (NotFoundException e) {
                return false;
            }
        });
    }

    @Override
    public void removeVolume(Endpoint host, String volume) throws RuntimeUnavailableException {
        call(host, "volume.remove", "remove volume " + volume, c -> {
            try {
                c.removeVolumeCmd(volume).exec();
            } catch (NotFoundException e) {
                // already gone
            }
            return null;
        });
    }

    @Override
    public String create(Endpoint host, ContainerSpec spec) throws RuntimeUnavailableException {
        String device = spec.limits().readBps() > 0 || spec.limits().writeBps() > 0 ? blockDevice(host) : null;
        return call(host, "container.create", "create container " + spec.name(), c -> {
            HostConfig hc = HostConfig.newHostConfig()
                    .withNetworkMode("host")
                    .withRestartPolicy(RestartPolicy.unlessStoppedRestart())
                    .withMounts(List.of(new Mount().withType(MountType.VOLUME).withSource(spec.volume())
                            .withTarget(spec.mountPath())));
            applyLimits(hc, spec.limits(), device);
            CreateContainerResponse created = c.createContainerCmd(spec.image())
                    .withName(spec.name())
                    .withLabels(spec.labels())
                    .withEnv(spec.env().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                    .withCmd(spec.command())
                    .withHostConfig(hc)
                    .exec();
            return created.getId();
        });
    }

    @Override
    public void start(Endpoint host, String name, Map<String, String> files) throws RuntimeUnavailableException {
        call(host, "container.start", "start container " + name, c -> {
            if (!files.isEmpty()) {
                // Into the container's own layer, before MinIO reads them: secrets stay out of its configuration.
                var inspect = c.inspectContainerCmd(name).exec();
                String user = inspect.getConfig().getUser();
                List<String> mounts = inspect.getMounts() == null ? List.of()
                        : inspect.getMounts().stream().map(m -> m.getDestination().getPath()).toList();
                c.copyArchiveToContainerCmd(name).withRemotePath("/")
                        .withTarInputStream(new ByteArrayInputStream(tar(files, mounts, user))).exec();
            }
            try {
                c.startContainerCmd(name).exec();
            } catch (NotModifiedException e) {
                // already running
            }
            return null;
        });
    }

    @Override
    public void stop(Endpoint host, String name) throws RuntimeUnavailableException {
        call(host, "container.stop", "stop container " + name, c -> {
            try {
                c.stopContainerCmd(name).withTimeout(5).exec();
            } catch (NotModifiedException | NotFoundException e) {
                // already stopped, or gone
            }
            return null;
        });
    }

    @Override
    public void remove(Endpoint host, String name) throws RuntimeUnavailableException {
        call(host, "container.remove", "remove container " + name, c -> {
            try {
                c.removeContainerCmd(name).withForce(true).withRemoveVolumes(false).exec();
            } catch (NotFoundException e) {
                // already gone
            }
            return null;
        });
    }

    @Override
    public Optional<ContainerState> inspect(Endpoint host, String name) throws RuntimeUnavailableException {
        return call(host, "container.inspect", "inspect container " + name, c -> {
            try {
                InspectContainerResponse r = c.inspectContainerCmd(name).exec();
                var s = r.getState();
                return Optional.of(new ContainerState(r.getId(), stripSlash(r.getName()), Boolean.TRUE.equals(s.getRunning()),
                        s.getStatus(), s.getExitCode(), instant(s.getStartedAt()), r.getConfig().getLabels(),
                        limitsOf(r.getHostConfig()), r.getConfig().getImage()));
            } catch (NotFoundException e) {
                return Optional.empty();
            }
        });
    }

    @Override
    public Limits updateLimits(Endpoint host, String name, Limits limits) throws RuntimeUnavailableException {
        String device = limits.readBps() > 0 || limits.writeBps() > 0 ? blockDevice(host) : null;
        return call(host, "container.update", "update the limits of " + name, c -> {
            var cmd = c.updateContainerCmd(name)
                    .withMemory(limits.memoryBytes()).withMemorySwap(limits.memoryBytes())
                    .withCpuPeriod(CPU_PERIOD).withCpuQuota(limits.milliCpus() * CPU_PERIOD / 1000)
                    .withBlkioDeviceReadBps(rates(device, limits.readBps()))
                    .withBlkioDeviceWriteBps(rates(device, limits.writeBps()));
            cmd.exec();
            return limitsOf(c.inspectContainerCmd(name).exec().getHostConfig());
        });
    }

    @Override
    public List<ContainerState> list(Endpoint host, Map<String, String> labels) throws RuntimeUnavailableException {
        return call(host, "container.list", "list containers", c -> {
            var found = new ArrayList<ContainerState>();
            for (Container k : c.listContainersCmd().withShowAll(true).withLabelFilter(labels).exec()) {
                String name = k.getNames() == null || k.getNames().length == 0 ? k.getId() : stripSlash(k.getNames()[0]);
                found.add(new ContainerState(k.getId(), name, "running".equals(k.getState()), k.getState(), null, null,
                        k.getLabels(), null, k.getImage()));
            }
            return found;
        });
    }

    @Override
    public String logsTail(Endpoint host, String name, int lines) throws RuntimeUnavailableException {
        return call(host, "container.logs", "read the logs of " + name, c -> {
            var out = new StringBuilder();
            try (var callback = c.logContainerCmd(name).withStdOut(true).withStdErr(true).withTail(lines)
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame frame) {
                            out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                        }
                    })) {
                callback.awaitCompletion(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (NotFoundException e) {
                return "";
            }
            return out.toString();
        });
    }

    // ------------------------------------------------------------------ internals

    private static void applyLimits(HostConfig hc, Limits l, String device) {
        hc.withMemory(l.memoryBytes()).withMemorySwap(l.memoryBytes())
                .withCpuPeriod(CPU_PERIOD).withCpuQuota(l.milliCpus() * CPU_PERIOD / 1000)
                .withPidsLimit(l.pids())
                .withBlkioDeviceReadBps(rates(device, l.readBps()))
                .withBlkioDeviceWriteBps(rates(device, l.writeBps()));
    }

    private static List<BlkioRateDevice> rates(String device, long bps) {
        return bps <= 0 || device == null ? List.of() : List.of(new BlkioRateDevice().withPath(device).withRate(bps));
    }

    private static Limits limitsOf(HostConfig hc) {
        long period = hc.getCpuPeriod() == null || hc.getCpuPeriod() == 0 ? CPU_PERIOD : hc.getCpuPeriod();
        long quota = hc.getCpuQuota() == null ? 0 : hc.getCpuQuota();
        return new Limits((int) (quota * 1000 / period), hc.getMemory() == null ? 0 : hc.getMemory(),
                firstRate(hc.getBlkioDeviceReadBps()), firstRate(hc.getBlkioDeviceWriteBps()),
                hc.getPidsLimit() == null ? 0 : hc.getPidsLimit());
    }

    private static long firstRate(List<BlkioRateDevice> rates) {
        return rates == null || rates.isEmpty() || rates.getFirst().getRate() == null ? 0 : rates.getFirst().getRate();
    }

    /**
     * A tar of the files, owned by the container's user (numeric "uid[:gid]" as images built FROM scratch
     * declare it) and readable by it alone, plus the volume mount points owned by that user: a fresh volume
     * mounted where the image has no directory is root's, and the engine keeps the owner the tar names.
     */
    static byte[] tar(Map<String, String> files, List<String> ownedDirs, String user) throws IOException {
        int uid = 0;
        int gid = 0;
        if (user != null && user.matches("\\d+(:\\d+)?")) {
            String[] parts = user.split(":");
            uid = Integer.parseInt(parts[0]);
            gid = parts.length > 1 ? Integer.parseInt(parts[1]) : uid;
        }
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(bytes)) {
            var dirs = new LinkedHashSet<String>();
            for (String path : files.keySet()) {
                Path parent = Path.of(path.replaceFirst("^/", "")).getParent();
                var chain = new ArrayList<String>();
                for (Path p = parent; p != null; p = p.getParent()) {
                    chain.add(p.toString());
                }
                chain.sort(Comparator.comparingInt(String::length));
                dirs.addAll(chain);
            }
            for (String dir : dirs) {
                var e = new TarArchiveEntry(dir + "/");
                e.setMode(040755);
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            }
            for (String dir : ownedDirs) {
                var e = new TarArchiveEntry(dir.replaceFirst("^/", "") + "/");
                e.setMode(040700);
                e.setIds(uid, gid);
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            }
            for (var f : files.entrySet()) {
                byte[] content = f.getValue().getBytes(StandardCharsets.UTF_8);
                var e = new TarArchiveEntry(f.getKey().replaceFirst("^/", ""));
                e.setSize(content.length);
                e.setMode(0100400);
                e.setIds(uid, gid);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** The device the blkio rates name: configured, or the local engine's data-root device. */
    private String blockDevice(Endpoint host) throws RuntimeUnavailableException {
        if (config.blockDevice().isPresent()) {
            return config.blockDevice().get();
        }
        String known = devices.get(host.uri());
        if (known != null) {
            return known;
        }
        if (!isLocal(host.uri())) {
            throw new RuntimeUnavailableException("block-I/O limits need the storage device of " + host.uri()
                    + ": set berth.storage.block-device (BERTH_STORAGE_BLOCK_DEVICE)", false, null);
        }
        String root = call(host, "info", "read the engine's data root", c -> c.infoCmd().exec().getDockerRootDir());
        String device = LocalDevices.deviceOf(root);
        if (device == null) {
            throw new RuntimeUnavailableException("cannot tell which block device holds " + root
                    + ": set berth.storage.block-device (BERTH_STORAGE_BLOCK_DEVICE)", false, null);
        }
        devices.put(host.uri(), device);
        return device;
    }

    /** A unix socket or a loopback address: the engine runs on this machine, whose mounts we can read. */
    static boolean isLocal(String uri) {
        if (uri.startsWith("unix://")) {
            return true;
        }
        try {
            String h = java.net.URI.create(uri).getHost();
            return h != null && java.net.InetAddress.getByName(h).isLoopbackAddress();
        } catch (IllegalArgumentException | java.net.UnknownHostException e) {
            return false;
        }
    }

    /** @param operation the metric's name for the call (no container names: they would explode its labels) */
    private <T> T call(Endpoint host, String operation, String what, DockerClients.Call<T> work) throws RuntimeUnavailableException {
        try {
            return BackendCalls.time(BackendCalls.DOCKER, operation, () -> DockerClients.call(host, config.callTimeout(), work));
        } catch (DockerClients.EngineAnswered e) {
            throw new RuntimeUnavailableException("cannot " + what + ": " + e.getMessage(), false, e);
        } catch (HostProbeException e) {
            throw new RuntimeUnavailableException(e.getMessage(), true, e);
        }
    }

    private static String stripSlash(String name) {
        return name != null && name.startsWith("/") ? name.substring(1) : name;
    }

    private static Instant instant(String text) {
        try {
            return text == null || text.startsWith("0001-") ? null : Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** Which block device holds a directory on this machine (for a local engine), whole disk not partition. */
    static final class LocalDevices {
        private LocalDevices() {
        }

        static String deviceOf(String dir) {
            if (dir == null) {
                return null;
            }
            try {
                String best = null;
                String source = null;
                for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                    String[] halves = line.split(" - ", 2);
                    String[] f = halves[0].split(" ");
                    String[] tail = halves.length > 1 ? halves[1].split(" ") : new String[0];
                    if (f.length < 5 || tail.length < 2) {
                        continue;
                    }
                    String mountPoint = f[4];
                    boolean covers = dir.equals(mountPoint) || dir.startsWith(mountPoint.endsWith("/") ? mountPoint : mountPoint + "/");
                    if (covers && (best == null || mountPoint.length() >= best.length())) {
                        best = mountPoint;
                        source = tail[1];
                    }
                }
                if (source == null || !source.startsWith("/dev/")) {
                    return null;
                }
                Path sys = Path.of("/sys/class/block", Path.of(source).getFileName().toString());
                if (Files.exists(sys.resolve("partition"))) { // throttling applies to whole disks
                    return "/dev/" + sys.toRealPath().getParent().getFileName();
                }
                return source;
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }
}
