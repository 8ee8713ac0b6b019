package dev.berth.hosts;

import dev.berth.common.BackendCalls;
import dev.berth.hosts.LibvirtCalls.CallException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.NodeInfo;

/**
 * KVM hosts through libvirt (libvirt-java over JNA, the native {@code libvirt0} client library).
 *
 * <p>Every probe runs through {@link LibvirtCalls}: on its own platform daemon thread, waited for at most
 * {@code timeout}, left behind (never interrupted or closed under libvirt's feet) when the host hangs, and refused
 * once {@link #MAX_PENDING_PROBES} probe threads are still stuck inside libvirt. See that class for the reasons.
 *
 * <p>Only the libvirt adapters (this class, {@link LibvirtCalls}, {@code dev.berth.compute.LibvirtHypervisor})
 * import {@code org.libvirt}.
 */
@ApplicationScoped
public class LibvirtConnector implements HostConnector {
    /** Probes whose thread is still inside libvirt (running or abandoned after a timeout) before we refuse more. */
    static final int MAX_PENDING_PROBES = 32;

    private static final Logger LOG = Logger.getLogger(LibvirtConnector.class);

    private final LibvirtCalls calls = new LibvirtCalls("libvirt-probe-", MAX_PENDING_PROBES);

    @Override
    public HostKind kind() {
        return HostKind.KVM;
    }

    @Override
    public HostFacts probe(Endpoint endpoint, Duration timeout) throws HostProbeException {
        return BackendCalls.time(BackendCalls.LIBVIRT, "probe", () -> probeNow(endpoint, timeout));
    }

    private HostFacts probeNow(Endpoint endpoint, Duration timeout) throws HostProbeException {
        Objects.requireNonNull(endpoint, "endpoint");
        LibvirtCalls.requirePositive(timeout);
        String uri = endpoint.uri();
        if (uri == null || uri.isBlank()) {
            throw new HostProbeException("no libvirt connection URI given");
        }
        long started = System.nanoTime();
        try {
            return calls.call(timeout, () -> readFacts(uri, started));
        } catch (CallException e) {
            throw switch (e.failure()) {
                case BUSY -> new HostProbeException(MAX_PENDING_PROBES
                        + " earlier libvirt probes are still waiting for their hosts; not probing " + uri + " now");
                case NO_THREAD -> new HostProbeException("cannot start a thread to probe " + uri + ": "
                        + e.getCause(), e.getCause());
                case TIMED_OUT -> {
                    LOG.debugf("libvirt probe of %s abandoned after %s; its thread stays until libvirt returns",
                            uri, timeout);
                    yield new HostProbeException("timed out after " + LibvirtCalls.describe(timeout)
                            + " connecting to " + uri);
                }
                case FAILED -> toProbeException(uri, e.getCause());
                case INTERRUPTED -> new HostProbeException("interrupted while probing " + uri, e.getCause());
            };
        }
    }

    /** Runs on the probe thread: libvirt's last-error state is per thread, so all calls stay on this one. */
    private static HostFacts readFacts(String uri, long started) throws LibvirtException {
        Connect conn = new Connect(uri, true); // read-only: a probe never changes the host
        try {
            NodeInfo node = conn.nodeInfo();
            Long free = freeMemory(conn, uri);
            String version = version(conn);
            int active = conn.numOfDomains();
            int inactive = conn.numOfDefinedDomains();
            long latency = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            return new HostFacts(latency, version, node.cpus, node.memory * 1024L /* KiB */, free,
                    active, active + inactive, null, null);
        } finally {
            try {
                conn.close();
            } catch (LibvirtException e) {
                LOG.debugf("closing libvirt connection to %s: %s", uri, e.getMessage());
            }
        }
    }

    /**
     * Free memory is optional. virNodeGetFreeMemory returns 0 for "failed", so a driver without per-cell data
     * (the test driver with a host file, some remote drivers) makes it fail with "An error occurred, but the
     * cause is unknown". That must not fail the probe: free memory is then unknown (null). A real connection
     * problem still fails the next call.
     */
    private static Long freeMemory(Connect conn, String uri) {
        try {
            long free = conn.getFreeMemory();
            return free > 0 ? free : null;
        } catch (LibvirtException e) {
            LOG.debugf("free memory of %s unknown: %s", uri, e.getMessage());
            return null;
        }
    }

    /** e.g. "QEMU 7.2.0, libvirt 9.0.0": the hypervisor and the libvirt daemon that manages it. */
    private static String version(Connect conn) throws LibvirtException {
        String type = conn.getType();
        long hypervisor = conn.getVersion(); // 0 when the driver does not know
        // virConnectGetLibVersion: the libvirt of the daemon on the host, not our local client library
        String daemon = formatVersion(conn.getLibVersion());
        return hypervisor > 0
                ? type + " " + formatVersion(hypervisor) + ", libvirt " + daemon
                : type + ", libvirt " + daemon;
    }

    /** libvirt encodes versions as major * 1,000,000 + minor * 1,000 + release. */
    static String formatVersion(long encoded) {
        return (encoded / 1_000_000) + "." + (encoded / 1_000 % 1_000) + "." + (encoded % 1_000);
    }

    private static HostProbeException toProbeException(String uri, Throwable cause) {
        if (cause instanceof LibvirtException e) {
            // libvirt's own words ("unable to connect to server at '…': Connection refused"): exact for the admin.
            return new HostProbeException(LibvirtCalls.message(e, uri), e);
        }
        // JNA could not load libvirt0, or a bug: say what happened rather than a bare class name.
        return new HostProbeException("probe of " + uri + " failed: " + cause, cause);
    }
}
