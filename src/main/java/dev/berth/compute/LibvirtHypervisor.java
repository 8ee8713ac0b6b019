package dev.berth.compute;

import dev.berth.common.BackendCalls;
import dev.berth.hosts.Endpoint;
import dev.berth.hosts.LibvirtCalls;
import dev.berth.hosts.LibvirtCalls.CallException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainBlockInfo;
import org.libvirt.DomainBlockStats;
import org.libvirt.DomainInfo;
import org.libvirt.DomainInterfaceStats;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.MemoryStatistic;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.libvirt.StorageVolInfo;
import org.libvirt.Stream;

/**
 * The {@link Hypervisor} port over libvirt (libvirt-java on JNA, the native {@code libvirt0} client library).
 *
 * <h2>Connections</h2>
 * One read-write {@link Connect} per host URI (power actions need write access), opened on first use, kept,
 * and opened again when {@code virConnectIsAlive} says it died or a call failed with a connection error (RPC,
 * system, invalid/no connection). A failed call is not retried: the next call reconnects. All connections are
 * closed by {@link #close()} ({@code @PreDestroy}); one still in use by a stuck call is closed by that call's
 * thread when libvirt finally returns.
 *
 * <h2>Time limits and threads</h2>
 * Every call runs through {@link LibvirtCalls}: on its own platform daemon thread, waited for at most
 * {@code timeout} (then {@code "timed out after Ns talking to <uri>"}), left behind inside libvirt if the host
 * hangs (never interrupted, its connection never closed under libvirt's feet).
 *
 * <h2>One host at a time, hosts independently</h2>
 * Calls to <em>one</em> host are serialized by that host's lane (a one-permit semaphore): the cached connection,
 * its reopening and libvirt's per-thread last error stay simple, and a hung host holds at most <em>one</em>
 * thread inside libvirt however often it is asked. The caller waits for the permit on its own thread (counted
 * against {@code timeout}); the native thread releases it when libvirt returns. Calls to <em>different</em>
 * hosts never wait for each other: each host has its own lane and connection, and the only shared limit is
 * {@link #MAX_PENDING_CALLS} threads inside libvirt at once (that many hosts stuck at the same moment).
 * A host whose stuck call never returns keeps answering "timed out" until libvirt gives up on its socket.
 *
 * <h2>What the counters mean</h2>
 * {@link #stats}: memory used is, in this order, balloon "actual" minus "unused" (what the guest uses), the
 * host's resident set "rss", or the current allocation ({@code virDomainGetInfo}). Disk and network counters are
 * summed over the domain's disks ({@code virDomainBlockStats} per target) and over its interfaces that have a
 * host-side target device ({@code virDomainInterfaceStats}); a counter the driver does not support (libvirt
 * reports -1 or an unsupported-operation error) counts 0. libvirt's test driver (Debian libvirt0 9.0) answers
 * block and interface statistics with synthetic numbers and memory statistics with an empty list, so there the
 * memory used is the allocation.
 *
 * <p>This adapter maps libvirt's errors; it does not decide whether an action is allowed (the caller does).
 */
@ApplicationScoped
public class LibvirtHypervisor implements Hypervisor {
    /** Threads inside libvirt at once (one per busy or stuck host at most) before new calls are refused. */
    static final int MAX_PENDING_CALLS = 64;

    private static final Logger LOG = Logger.getLogger(LibvirtHypervisor.class);

    // virDomainMemoryStatTags (libvirt-domain.h); values in KiB. NR: ask for every tag libvirt 9 knows.
    private static final int MEMORY_STAT_UNUSED = 4;
    private static final int MEMORY_STAT_ACTUAL_BALLOON = 6;
    private static final int MEMORY_STAT_RSS = 7;
    private static final int MEMORY_STAT_NR = 13;

    /** Errors that mean the connection itself is gone: drop it, the next call opens a new one. */
    private static final Set<ErrorNumber> CONNECTION_ERRORS = Set.of(ErrorNumber.VIR_ERR_RPC,
            ErrorNumber.VIR_ERR_SYSTEM_ERROR, ErrorNumber.VIR_ERR_NO_CONNECT, ErrorNumber.VIR_ERR_INVALID_CONN);

    private final LibvirtCalls calls = new LibvirtCalls("libvirt-hv-", MAX_PENDING_CALLS);
    private final ConcurrentMap<String, Lane> lanes = new ConcurrentHashMap<>();
    private volatile boolean closed;

    @Override
    public List<DomainSummary> listDomains(Endpoint host, Duration timeout) throws HypervisorException {
        return onHost("list_domains", host, null, timeout, conn -> {
            Domain[] domains = conn.listAllDomains(0); // 0: active and inactive, persistent and transient
            List<DomainSummary> result = new ArrayList<>(domains.length);
            try {
                for (Domain domain : domains) {
                    try {
                        result.add(summary(domain));
                    } catch (LibvirtException e) {
                        if (code(e) != ErrorNumber.VIR_ERR_NO_DOMAIN) {
                            throw e;
                        } // undefined between the listing and the look: it is gone, so not listed
                    }
                }
            } finally {
                for (Domain domain : domains) {
                    free(domain);
                }
            }
            result.sort(Comparator.comparing(DomainSummary::name).thenComparing(DomainSummary::uuid));
            return List.copyOf(result);
        });
    }

    @Override
    public DomainDetail describe(Endpoint host, String uuid, Duration timeout) throws HypervisorException {
        Objects.requireNonNull(uuid, "uuid");
        return onHost("describe", host, uuid, timeout, conn -> {
            Domain domain = conn.domainLookupByUUIDString(uuid);
            try {
                DomainSummary summary = summary(domain);
                DomainXml.Parsed xml = DomainXml.parse(domain.getXMLDesc(0));
                List<DomainDetail.Disk> disks = new ArrayList<>();
                for (DomainXml.Disk disk : xml.disks()) {
                    disks.add(withSize(domain, disk));
                }
                List<DomainDetail.Nic> nics = xml.nics().stream()
                        .map(nic -> new DomainDetail.Nic(nic.model(), nic.mac(), nic.network(), nic.bridge()))
                        .toList();
                return new DomainDetail(summary, List.copyOf(disks), nics, xml.graphics());
            } finally {
                free(domain);
            }
        });
    }

    @Override
    public DomainStats stats(Endpoint host, String uuid, Duration timeout) throws HypervisorException {
        Objects.requireNonNull(uuid, "uuid");
        return onHost("stats", host, uuid, timeout, conn -> {
            Domain domain = conn.domainLookupByUUIDString(uuid);
            try {
                DomainInfo info = domain.getInfo();
                Instant at = Instant.now();
                if (!state(info.state).active()) {
                    throw new HypervisorException("machine is not running");
                }
                long memoryUsed = memoryUsed(domain, info);
                DomainXml.Parsed xml = DomainXml.parse(domain.getXMLDesc(0));
                long read = 0;
                long written = 0;
                for (DomainXml.Disk disk : xml.disks()) {
                    DomainBlockStats block = disk.target() == null ? null : blockStats(domain, disk.target());
                    if (block != null) {
                        read = add(read, block.rd_bytes);
                        written = add(written, block.wr_bytes);
                    }
                }
                long received = 0;
                long sent = 0;
                for (DomainXml.Nic nic : xml.nics()) {
                    // no host-side device, no counters (e.g. an interface of a domain that is shutting down)
                    DomainInterfaceStats net = nic.targetDev() == null ? null : interfaceStats(domain, nic.targetDev());
                    if (net != null) {
                        received = add(received, net.rx_bytes);
                        sent = add(sent, net.tx_bytes);
                    }
                }
                return new DomainStats(at, Math.max(0, info.cpuTime), info.nrVirtCpu, memoryUsed, read, written,
                        received, sent);
            } finally {
                free(domain);
            }
        });
    }

    @Override
    public void act(Endpoint host, String uuid, PowerAction action, Duration timeout) throws HypervisorException {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(action, "action");
        onHost("power_action", host, uuid, timeout, conn -> {
            Domain domain = conn.domainLookupByUUIDString(uuid);
            try {
                switch (action) {
                    case START -> domain.create();
                    case SHUTDOWN -> domain.shutdown(); // ACPI: the guest decides when
                    case REBOOT -> domain.reboot(0);
                    case POWEROFF -> domain.destroy();
                }
                return null;
            } finally {
                free(domain);
            }
        });
    }

    @Override
    public String define(Endpoint host, String domainXml, Duration timeout) throws HypervisorException {
        Objects.requireNonNull(domainXml, "domainXml");
        return onHost("define", host, null, timeout, conn -> {
            Domain domain = conn.domainDefineXML(domainXml);
            try {
                return domain.getUUIDString();
            } finally {
                free(domain);
            }
        });
    }

    @Override
    public void undefine(Endpoint host, String uuid, Duration timeout) throws HypervisorException {
        Objects.requireNonNull(uuid, "uuid");
        onHost("undefine", host, null, timeout, conn -> {
            Domain domain;
            try {
                domain = conn.domainLookupByUUIDString(uuid);
            } catch (LibvirtException e) {
                if (code(e) == ErrorNumber.VIR_ERR_NO_DOMAIN) {
                    return null; // gone already
                }
                throw e;
            }
            try {
                if (domain.isActive() == 1) {
                    domain.destroy();
                }
                domain.undefine();
                return null;
            } finally {
                free(domain);
            }
        });
    }

    @Override
    public java.util.Optional<Volume> volume(Endpoint host, String pool, String name, Duration timeout) throws HypervisorException {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(name, "name");
        return onHost("volume", host, null, timeout, conn -> {
            StoragePool p = conn.storagePoolLookupByName(pool);
            try {
                StorageVol vol;
                try {
                    vol = p.storageVolLookupByName(name);
                } catch (LibvirtException e) {
                    if (code(e) == ErrorNumber.VIR_ERR_NO_STORAGE_VOL) {
                        return java.util.Optional.<Volume>empty();
                    }
                    throw e;
                }
                try {
                    return java.util.Optional.of(volumeOf(pool, vol));
                } finally {
                    vol.free();
                }
            } finally {
                p.free();
            }
        });
    }

    @Override
    public Volume createVolume(Endpoint host, String pool, String volumeXml, Duration timeout) throws HypervisorException {
        Objects.requireNonNull(volumeXml, "volumeXml");
        return onHost("volume_create", host, null, timeout, conn -> {
            StoragePool p = conn.storagePoolLookupByName(pool);
            try {
                StorageVol vol = p.storageVolCreateXML(volumeXml, 0);
                try {
                    return volumeOf(pool, vol);
                } finally {
                    vol.free();
                }
            } finally {
                p.free();
            }
        });
    }

    @Override
    public void upload(Endpoint host, String pool, String name, byte[] content, Duration timeout) throws HypervisorException {
        Objects.requireNonNull(content, "content");
        onHost("volume_upload", host, null, timeout, conn -> {
            StoragePool p = conn.storagePoolLookupByName(pool);
            try {
                StorageVol vol = p.storageVolLookupByName(name);
                Stream stream = conn.streamNew(0);
                try {
                    vol.upload(stream, 0, content.length, 0);
                    int sent = 0;
                    while (sent < content.length) {
                        int n = stream.send(java.util.Arrays.copyOfRange(content, sent, Math.min(content.length, sent + 256 * 1024)));
                        if (n <= 0) {
                            throw new HypervisorException("the host took no more of the upload after " + sent + " bytes");
                        }
                        sent += n;
                    }
                    stream.finish();
                } catch (LibvirtException | HypervisorException e) {
                    try {
                        stream.abort();
                    } catch (LibvirtException ignored) {
                        // the failure above says what went wrong
                    }
                    throw e;
                } finally {
                    stream.free();
                    vol.free();
                }
                return null;
            } finally {
                p.free();
            }
        });
    }

    @Override
    public void deleteVolume(Endpoint host, String pool, String name, Duration timeout) throws HypervisorException {
        onHost("volume_delete", host, null, timeout, conn -> {
            StoragePool p = conn.storagePoolLookupByName(pool);
            try {
                StorageVol vol;
                try {
                    vol = p.storageVolLookupByName(name);
                } catch (LibvirtException e) {
                    if (code(e) == ErrorNumber.VIR_ERR_NO_STORAGE_VOL) {
                        return null; // gone already
                    }
                    throw e;
                }
                try {
                    vol.delete(0);
                } finally {
                    vol.free();
                }
                return null;
            } finally {
                p.free();
            }
        });
    }

    private static Volume volumeOf(String pool, StorageVol vol) throws LibvirtException {
        StorageVolInfo info = vol.getInfo();
        return new Volume(pool, vol.getName(), vol.getPath(), info.capacity, info.allocation,
                MachineXml.volumeFormat(vol.getXMLDesc(0)));
    }

    /**
     * Closes every cached connection. A connection in use by a call that is still inside libvirt is closed by
     * that call's thread when it returns; calls made after this are refused.
     */
    @PreDestroy
    public void close() {
        closed = true;
        for (Lane lane : lanes.values()) {
            closeIfIdle(lane);
        }
    }

    // --- one call on one host -------------------------------------------------------------------------------

    @FunctionalInterface
    private interface HostWork<T> {
        /** Runs on the lane's native thread, with the lane's permit held. */
        T run(Connect conn) throws LibvirtException, HypervisorException;
    }

    /** Times the call into berth_backend_call_seconds{backend="libvirt",operation}. */
    private <T> T onHost(String operation, Endpoint host, String uuid, Duration timeout, HostWork<T> work) throws HypervisorException {
        return BackendCalls.time(BackendCalls.LIBVIRT, operation, () -> onHost(host, uuid, timeout, work));
    }

    /** @param uuid the domain the work is about (for "not found"), or null */
    private <T> T onHost(Endpoint host, String uuid, Duration timeout, HostWork<T> work) throws HypervisorException {
        Objects.requireNonNull(host, "host");
        LibvirtCalls.requirePositive(timeout);
        String uri = host.uri();
        if (uri == null || uri.isBlank()) {
            throw new HypervisorException("no libvirt connection URI given");
        }
        if (closed) {
            throw new HypervisorException("the libvirt adapter is shut down; not calling " + uri);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Lane lane = lanes.computeIfAbsent(uri, Lane::new);
        try {
            // Waiting here (the caller's thread, no native code) is how calls to one host queue up.
            if (!lane.permit.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw timedOut(uri, timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException("interrupted while waiting for " + uri, e);
        }
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            lane.permit.release();
            throw timedOut(uri, timeout);
        }
        try {
            return calls.call(Duration.ofNanos(remaining), () -> {
                try {
                    return lane.run(work);
                } finally {
                    release(lane);
                }
            });
        } catch (CallException e) {
            if (!e.failure().workStarted()) {
                lane.permit.release(); // the work never ran, so its finally will not
            }
            throw switch (e.failure()) {
                case BUSY -> new HypervisorException(MAX_PENDING_CALLS
                        + " earlier libvirt calls are still waiting for their hosts; not calling " + uri + " now");
                case NO_THREAD -> new HypervisorException("cannot start a thread to call " + uri + ": "
                        + e.getCause(), e.getCause());
                case TIMED_OUT -> {
                    LOG.debugf("libvirt call to %s abandoned after %s; its thread stays until libvirt returns",
                            uri, timeout);
                    yield timedOut(uri, timeout);
                }
                case FAILED -> toHypervisorException(uri, uuid, e.getCause());
                case INTERRUPTED -> new HypervisorException("interrupted while waiting for " + uri, e.getCause());
            };
        }
    }

    private static HypervisorException timedOut(String uri, Duration timeout) {
        return new HypervisorException("timed out after " + LibvirtCalls.describe(timeout) + " talking to " + uri);
    }

    private static HypervisorException toHypervisorException(String uri, String uuid, Throwable cause) {
        if (cause instanceof HypervisorException e) {
            return e; // ours, already in words ("machine is not running")
        }
        if (cause instanceof LibvirtException e) {
            if (uuid != null && code(e) == ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return new DomainNotFoundException(uuid);
            }
            return new HypervisorException(LibvirtCalls.message(e, uri), e); // libvirt's words, exact
        }
        // JNA could not load libvirt0, or a bug: say what happened rather than a bare class name.
        return new HypervisorException("libvirt call to " + uri + " failed: " + cause, cause);
    }

    /** The work is done (or libvirt finally returned from a stuck call): next caller's turn. */
    private void release(Lane lane) {
        lane.permit.release();
        if (closed) {
            closeIfIdle(lane); // close() ran while this call held the lane
        }
    }

    private static void closeIfIdle(Lane lane) {
        if (lane.permit.tryAcquire()) {
            try {
                lane.drop();
            } finally {
                lane.permit.release();
            }
        }
    }

    /**
     * One host: its connection and the permit that serializes calls to it. {@link #conn} is only touched by the
     * permit holder (semaphore release/acquire orders those accesses).
     */
    private static final class Lane {
        final String uri;
        final Semaphore permit = new Semaphore(1, true);
        private Connect conn;

        Lane(String uri) {
            this.uri = uri;
        }

        <T> T run(HostWork<T> work) throws LibvirtException, HypervisorException {
            Connect connection = connection();
            try {
                return work.run(connection);
            } catch (LibvirtException e) {
                if (connectionLost(e)) {
                    drop();
                }
                throw e;
            }
        }

        private Connect connection() throws LibvirtException {
            if (conn != null && !alive(conn)) {
                LOG.debugf("libvirt connection to %s is dead; reconnecting", uri);
                drop();
            }
            if (conn == null) {
                conn = new Connect(uri, false); // read-write: power actions need it
            }
            return conn;
        }

        private static boolean alive(Connect conn) {
            try {
                return conn.isAlive();
            } catch (LibvirtException e) {
                return false;
            }
        }

        void drop() {
            if (conn != null) {
                try {
                    conn.close();
                } catch (LibvirtException e) {
                    LOG.debugf("closing libvirt connection to %s: %s", uri, e.getMessage());
                }
                conn = null;
            }
        }
    }

    // --- libvirt to our types ---------------------------------------------------------------------------------

    private static DomainSummary summary(Domain domain) throws LibvirtException {
        DomainInfo info = domain.getInfo();
        return new DomainSummary(domain.getUUIDString(), domain.getName(), state(info.state), info.nrVirtCpu,
                info.memory * 1024L /* KiB */);
    }

    static DomainState state(DomainInfo.DomainState state) {
        if (state == null) {
            return DomainState.UNKNOWN;
        }
        return switch (state) {
            case VIR_DOMAIN_NOSTATE -> DomainState.NOSTATE;
            case VIR_DOMAIN_RUNNING -> DomainState.RUNNING;
            case VIR_DOMAIN_BLOCKED -> DomainState.BLOCKED;
            case VIR_DOMAIN_PAUSED -> DomainState.PAUSED;
            case VIR_DOMAIN_SHUTDOWN -> DomainState.SHUTDOWN;
            case VIR_DOMAIN_SHUTOFF -> DomainState.SHUTOFF;
            case VIR_DOMAIN_CRASHED -> DomainState.CRASHED;
            case VIR_DOMAIN_PMSUSPENDED -> DomainState.PMSUSPENDED;
        };
    }

    /** Capacity from virDomainGetBlockInfo; unknown (null) when the driver or the domain cannot say. */
    private static DomainDetail.Disk withSize(Domain domain, DomainXml.Disk disk) throws LibvirtException {
        Long size = null;
        Boolean preallocated = null;
        if (disk.target() != null) {
            try {
                DomainBlockInfo block = domain.blockInfo(disk.target());
                if (block.getCapacity() > 0) {
                    size = block.getCapacity();
                    if ("qcow2".equals(disk.format()) && block.getAllocation() > 0) {
                        preallocated = block.getAllocation() >= block.getCapacity();
                    }
                }
            } catch (LibvirtException e) {
                rethrowIfConnectionLost(e);
                LOG.debugf("no block info for %s: %s", disk.target(), e.getMessage());
            }
        }
        return new DomainDetail.Disk(disk.target(), disk.bus(), disk.format(), disk.cache(), disk.source(), size,
                preallocated, disk.backingFile());
    }

    private static long memoryUsed(Domain domain, DomainInfo info) throws LibvirtException {
        long actual = -1;
        long unused = -1;
        long rss = -1;
        try {
            for (MemoryStatistic stat : domain.memoryStats(MEMORY_STAT_NR)) {
                switch (stat.getTag()) {
                    case MEMORY_STAT_ACTUAL_BALLOON -> actual = stat.getValue();
                    case MEMORY_STAT_UNUSED -> unused = stat.getValue();
                    case MEMORY_STAT_RSS -> rss = stat.getValue();
                    default -> {
                        // swap, faults, caches …: not shown
                    }
                }
            }
        } catch (LibvirtException e) {
            rethrowIfConnectionLost(e);
            LOG.debugf("no memory statistics: %s", e.getMessage());
        }
        if (actual > 0 && unused >= 0 && unused <= actual) {
            return (actual - unused) * 1024L;
        }
        if (rss > 0) {
            return rss * 1024L;
        }
        return Math.max(0, info.memory) * 1024L;
    }

    /** null when the driver has no block statistics for this disk (counted as 0). */
    private static DomainBlockStats blockStats(Domain domain, String target) throws LibvirtException {
        try {
            return domain.blockStats(target);
        } catch (LibvirtException e) {
            rethrowIfConnectionLost(e);
            LOG.debugf("no block statistics for %s: %s", target, e.getMessage());
            return null;
        }
    }

    /** null when the driver has no statistics for this interface (counted as 0). */
    private static DomainInterfaceStats interfaceStats(Domain domain, String device) throws LibvirtException {
        try {
            return domain.interfaceStats(device);
        } catch (LibvirtException e) {
            rethrowIfConnectionLost(e);
            LOG.debugf("no interface statistics for %s: %s", device, e.getMessage());
            return null;
        }
    }

    private static void rethrowIfConnectionLost(LibvirtException e) throws LibvirtException {
        if (connectionLost(e)) {
            throw e;
        }
    }

    /** Sum of counters; libvirt's -1 ("not supported") counts 0, and the sum saturates instead of wrapping. */
    private static long add(long sum, long counter) {
        if (counter <= 0) {
            return sum;
        }
        return sum > Long.MAX_VALUE - counter ? Long.MAX_VALUE : sum + counter;
    }

    private static boolean connectionLost(LibvirtException e) {
        ErrorNumber code = code(e);
        return code != null && CONNECTION_ERRORS.contains(code); // Set.of rejects contains(null)
    }

    private static ErrorNumber code(LibvirtException e) {
        return e.getError() == null ? null : e.getError().getCode();
    }

    private static void free(Domain domain) {
        try {
            domain.free();
        } catch (LibvirtException e) {
            LOG.debugf("freeing a libvirt domain handle: %s", e.getMessage());
        }
    }
}
