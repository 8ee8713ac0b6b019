package dev.berth.storage.instance;

import java.time.Duration;

/** Port: is a MinIO instance ready, and do its root credentials work? Only the adapter knows minio-java. */
public interface InstanceHealth {
    /**
     * Returns when the instance at {@code endpoint} (http://address:port) answers its readiness check and an
     * admin call with these root credentials succeeds; waits at most {@code timeout}.
     *
     * @throws NotReadyException with what was last seen when it did not become ready in time
     */
    void awaitReady(String endpoint, String rootUser, String rootPassword, Duration timeout) throws NotReadyException,
            InterruptedException;

    /** One look, no waiting: ready now or not (for the reconciler's routine pass). */
    boolean isReady(String endpoint, String rootUser, String rootPassword);

    class NotReadyException extends Exception {
        public NotReadyException(String message) {
            super(message);
        }
    }
}
