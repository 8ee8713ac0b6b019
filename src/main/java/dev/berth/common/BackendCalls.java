package dev.berth.common;

/**
 * Times a call to a backend (libvirt, Docker, MinIO) into {@code berth_backend_call_seconds{backend,operation,outcome}}.
 * Adapters wrap their outermost call: {@code BackendCalls.time("docker", "create_container", () -> cmd.exec())}.
 * Operation names are fixed words (never ids or names: every distinct value is a new time series).
 */
public final class BackendCalls {
    public static final String LIBVIRT = "libvirt";
    public static final String DOCKER = "docker";
    public static final String MINIO = "minio";

    @FunctionalInterface
    public interface Call<T, E extends Exception> {
        T call() throws E;
    }

    @FunctionalInterface
    public interface VoidCall<E extends Exception> {
        void call() throws E;
    }

    private BackendCalls() {
    }

    public static <T, E extends Exception> T time(String backend, String operation, Call<T, E> call) throws E {
        long t0 = System.nanoTime();
        boolean ok = false;
        try {
            T result = call.call();
            ok = true;
            return result;
        } finally {
            BerthMeters.timer(BerthMeters.BACKEND_CALL, "Calls to libvirt, Docker and MinIO", "backend", backend,
                    "operation", operation, "outcome", ok ? "ok" : "error").record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    public static <E extends Exception> void run(String backend, String operation, VoidCall<E> call) throws E {
        time(backend, operation, () -> {
            call.call();
            return null;
        });
    }
}
