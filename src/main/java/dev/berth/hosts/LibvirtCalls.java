package dev.berth.hosts;

import com.sun.jna.Pointer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt.VirErrorCallback;
import org.libvirt.jna.virError;

/**
 * Blocking libvirt calls with a time limit, shared by the libvirt adapters ({@link LibvirtConnector} for probes,
 * {@code dev.berth.compute.LibvirtHypervisor} for domains).
 *
 * <p>Every libvirt call is blocking native code without a timeout of its own: a host that accepts the TCP
 * connection and then never answers keeps libvirt waiting for ever. So the work runs on its own thread and the
 * caller waits at most {@code timeout}. On timeout that thread is <em>left behind</em>: a thread inside native
 * code cannot be interrupted, and closing the connection from another thread while libvirt still uses it would
 * be a use-after-free in C. The thread ends as soon as libvirt returns, e.g. when the peer closes the socket.
 *
 * <p>The threads are platform daemon threads, not virtual threads: a virtual thread inside native code pins its
 * carrier, and a few stuck calls would starve every virtual thread of the application. Threads still inside
 * the work (running, or abandoned after a timeout) are counted; past {@code maxPending} new calls are refused
 * instead of piling up threads.
 *
 * <p>libvirt's last-error state is per thread: everything that must see the error of a call (libvirt-java reads
 * it right after each native call) runs on the same work thread, which this class guarantees.
 */
public final class LibvirtCalls {
    private static final Logger LOG = Logger.getLogger(LibvirtCalls.class);

    /** Why {@link #call} did not return a value. */
    public enum Failure {
        /** {@code maxPending} earlier calls are still inside libvirt; the work was not started. */
        BUSY,
        /** No thread could be started; the work was not started. */
        NO_THREAD,
        /** The caller stopped waiting; the work goes on (or is stuck) on its own thread. */
        TIMED_OUT,
        /** The work threw; {@link CallException#getCause()} is what it threw. */
        FAILED,
        /** The caller was interrupted while waiting; the work goes on on its own thread. */
        INTERRUPTED;

        /** Whether the work was started (and so will run its own {@code finally} blocks). */
        public boolean workStarted() {
            return this != BUSY && this != NO_THREAD;
        }
    }

    /** A call that did not return a value; callers turn it into their own exception and words. */
    public static final class CallException extends Exception {
        private final Failure failure;

        CallException(Failure failure, String message, Throwable cause) {
            super(message, cause);
            this.failure = failure;
        }

        public Failure failure() {
            return failure;
        }
    }

    private final ThreadFactory threads;
    private final int maxPending;
    private final AtomicInteger pending = new AtomicInteger();

    /** @param threadNamePrefix e.g. "libvirt-probe-"; @param maxPending threads inside libvirt before refusing */
    public LibvirtCalls(String threadNamePrefix, int maxPending) {
        if (maxPending < 1) {
            throw new IllegalArgumentException("maxPending must be positive: " + maxPending);
        }
        this.threads = Thread.ofPlatform().daemon().name(threadNamePrefix, 1).factory();
        this.maxPending = maxPending;
    }

    public int maxPending() {
        return maxPending;
    }

    /** Threads currently inside a call's work (running, or abandoned after a timeout). */
    public int pending() {
        return pending.get();
    }

    /**
     * Runs {@code work} on a fresh platform daemon thread (with libvirt's error printing silenced) and waits at
     * most {@code timeout} for it. When {@link Failure#workStarted()} is false for the thrown failure, the work
     * never ran: a caller that handed a resource to the work must release it itself.
     */
    public <T> T call(Duration timeout, Callable<T> work) throws CallException {
        requirePositive(timeout);
        Objects.requireNonNull(work, "work");
        if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            throw new CallException(Failure.BUSY, maxPending + " earlier libvirt calls are still waiting", null);
        }
        FutureTask<T> task = new FutureTask<>(() -> {
            try {
                silenceErrorHandler();
                return work.call();
            } finally {
                pending.decrementAndGet();
            }
        });
        try {
            threads.newThread(task).start();
        } catch (RuntimeException | OutOfMemoryError e) { // no thread, so nobody else will count it down
            pending.decrementAndGet();
            throw new CallException(Failure.NO_THREAD, "cannot start a thread for a libvirt call: " + e, e);
        }
        try {
            return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // No interrupt: it would not reach native code. The thread finishes on its own (see class javadoc).
            throw new CallException(Failure.TIMED_OUT, "timed out after " + describe(timeout), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new CallException(Failure.FAILED, String.valueOf(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallException(Failure.INTERRUPTED, "interrupted while waiting for libvirt", e);
        }
    }

    /**
     * libvirt's message ("unable to connect to server at '…': Connection refused", "Domain not found: …"): exact
     * words for an admin, or a fallback naming the URI when libvirt gave none.
     */
    public static String message(LibvirtException e, String uri) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? "libvirt failed on " + uri + " without a message" : message;
    }

    /** "2s", or "1500ms" when the timeout is not whole seconds. */
    public static String describe(Duration timeout) {
        long millis = timeout.toMillis();
        return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
    }

    public static void requirePositive(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    /** Makes sure libvirt's default error handler no longer prints to stderr; cheap after the first call. */
    public static void silenceErrorHandler() {
        QuietErrors.install();
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
}
