package dev.berth.hosts;

import com.sun.jna.Pointer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.NodeInfo;
import org.libvirt.jna.Libvirt.VirErrorCallback;
import org.libvirt.jna.virError;

/**
 * KVM hosts through libvirt (libvirt-java over JNA, the native {@code libvirt0} client library).
 *
 * <p>Every libvirt call is blocking native code without a timeout of its own: a host that accepts the TCP
 * connection and then never answers keeps {@code virConnectOpen} waiting for ever. So the whole probe runs on
 * its own thread and the caller waits at most {@code timeout}. On timeout that thread is <em>left behind</em>:
 * a thread inside native code cannot be interrupted, and closing the connection from another thread while
 * libvirt still uses it would be a use-after-free in C. The thread ends (and closes its connection) as soon as
 * libvirt returns, e.g. when the peer finally closes the socket.
 *
 * <p>The probe threads are platform daemon threads, not virtual threads: a virtual thread inside native code
 * pins its carrier, and a few stuck probes would starve every virtual thread of the application. Stuck threads
 * are counted; past {@link #MAX_PENDING_PROBES} new probes are refused instead of piling up threads.
 *
 * <p>Only this class imports {@code org.libvirt}.
 */
@ApplicationScoped
public class LibvirtConnector implements HostConnector {
    /** Probes whose thread is still inside libvirt (running or abandoned after a timeout) before we refuse more. */
    static final int MAX_PENDING_PROBES = 32;

    private static final Logger LOG = Logger.getLogger(LibvirtConnector.class);
    private static final ThreadFactory PROBE_THREADS = Thread.ofPlatform().daemon().name("libvirt-probe-", 1).factory();

    private final AtomicInteger pending = new AtomicInteger();

    @Override
    public HostKind kind() {
        return HostKind.KVM;
    }

    @Override
    public HostFacts probe(Endpoint endpoint, Duration timeout) throws HostProbeException {
        Objects.requireNonNull(endpoint, "endpoint");
        requirePositive(timeout);
        String uri = endpoint.uri();
        if (uri == null || uri.isBlank()) {
            throw new HostProbeException("no libvirt connection URI given");
        }
        if (pending.incrementAndGet() > MAX_PENDING_PROBES) {
            pending.decrementAndGet();
            throw new HostProbeException(MAX_PENDING_PROBES
                    + " earlier libvirt probes are still waiting for their hosts; not probing " + uri + " now");
        }
        long started = System.nanoTime();
        FutureTask<HostFacts> task = new FutureTask<>(() -> {
            try {
                return readFacts(uri, started);
            } finally {
                pending.decrementAndGet();
            }
        });
        try {
            PROBE_THREADS.newThread(task).start();
        } catch (RuntimeException | OutOfMemoryError e) { // no thread, so nobody else will count it down
            pending.decrementAndGet();
            throw new HostProbeException("cannot start a thread to probe " + uri + ": " + e, e);
        }
        try {
            return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // No interrupt: it would not reach native code. The thread finishes on its own (see class javadoc).
            LOG.debugf("libvirt probe of %s abandoned after %s; its thread stays until libvirt returns", uri, timeout);
            throw new HostProbeException("timed out after " + describe(timeout) + " connecting to " + uri);
        } catch (ExecutionException e) {
            throw toProbeException(uri, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostProbeException("interrupted while probing " + uri, e);
        }
    }

    /** Runs on the probe thread: libvirt's last-error state is per thread, so all calls stay on this one. */
    private static HostFacts readFacts(String uri, long started) throws LibvirtException {
        QuietErrors.install();
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

    /**
     * libvirt's default error handler prints every error to stderr ("libvirt: XML-RPC error : …"). Errors reach
     * the caller as LibvirtException anyway (libvirt-java reads the thread's last error), so the process-wide
     * handler is replaced by one that does nothing, once, before the first connection.
     */
    private static final class QuietErrors {
        // A strong reference: JNA frees a callback's native stub once the Java object is collected.
        private static final VirErrorCallback IGNORE = new VirErrorCallback() {
            @Override
            public void errorCallback(Pointer userData, virError error) {
                // reported through LibvirtException
            }
        };

        static {
            try {
                Connect.setErrorCallback(IGNORE);
            } catch (LibvirtException e) {
                LOG.debugf("libvirt error handler not replaced: %s", e.getMessage());
            }
        }

        static void install() {
            // the static initializer did the work
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
            String message = e.getMessage();
            return new HostProbeException(message == null || message.isBlank()
                    ? "libvirt failed on " + uri + " without a message" : message, e);
        }
        // JNA could not load libvirt0, or a bug: say what happened rather than a bare class name.
        return new HostProbeException("probe of " + uri + " failed: " + cause, cause);
    }

    private static void requirePositive(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    /** "2s", or "1500ms" when the timeout is not whole seconds. */
    static String describe(Duration timeout) {
        long millis = timeout.toMillis();
        return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
    }
}
