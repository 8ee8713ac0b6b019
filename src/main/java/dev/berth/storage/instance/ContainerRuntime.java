package dev.berth.storage.instance;

import dev.berth.hosts.Endpoint;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Port to a container engine on one storage host. The deciding code (placement, lifecycle, reconciling)
 * talks to this; only the adapter knows the engine's library, so a Kubernetes adapter can be added beside
 * the Docker one. Every call returns or throws within the adapter's call timeout.
 */
public interface ContainerRuntime {
    /** The engine's size, for placement; its cgroup version ("1", "2"; null if it does not say), for the I/O limits' meaning. */
    record EngineInfo(int cpus, long memoryBytes, String cgroupVersion) {
        public EngineInfo(int cpus, long memoryBytes) {
            this(cpus, memoryBytes, null);
        }
    }

    /**
     * Resource limits of one container. Rates in bytes per second on the host's storage device, 0 meaning
     * unthrottled.
     */
    record Limits(int milliCpus, long memoryBytes, long readBps, long writeBps, long pids) {
    }

    /**
     * What to run: the container listens on {@code bindAddress:port} on the host's network. {@code files}
     * (path → content) are written into the container before every start and never appear in its
     * configuration; {@code env} may name them but must hold no secret.
     */
    record ContainerSpec(String name, String image, Map<String, String> labels, Map<String, String> env,
                         List<String> command, String volume, String mountPath, Limits limits,
                         Map<String, String> files) {
        @Override
        public String toString() { // files hold secrets
            return "ContainerSpec[name=" + name + ", image=" + image + ", labels=" + labels + ", limits=" + limits + "]";
        }
    }

    /** What the engine says of a container now. */
    record ContainerState(String id, String name, boolean running, String status, Integer exitCode,
                          Instant startedAt, Map<String, String> labels, Limits limits, String image) {
    }

    EngineInfo info(Endpoint host) throws RuntimeUnavailableException;

    /** Creates the named volume unless it exists. */
    void ensureVolume(Endpoint host, String volume, Map<String, String> labels) throws RuntimeUnavailableException;

    boolean volumeExists(Endpoint host, String volume) throws RuntimeUnavailableException;

    void removeVolume(Endpoint host, String volume) throws RuntimeUnavailableException;

    /** Creates the container (not started); returns its id. A container of that name must not exist. */
    String create(Endpoint host, ContainerSpec spec) throws RuntimeUnavailableException;

    /** Writes the spec's files into the container and starts it; starting a running one is a no-op. */
    void start(Endpoint host, String name, Map<String, String> files) throws RuntimeUnavailableException;

    void stop(Endpoint host, String name) throws RuntimeUnavailableException;

    /** Removes the container if it exists (its volume stays). */
    void remove(Endpoint host, String name) throws RuntimeUnavailableException;

    Optional<ContainerState> inspect(Endpoint host, String name) throws RuntimeUnavailableException;

    /** Changes a container's limits in place where the engine can; returns what the engine reports afterwards. */
    Limits updateLimits(Endpoint host, String name, Limits limits) throws RuntimeUnavailableException;

    /** Containers carrying all these labels, running or not. */
    List<ContainerState> list(Endpoint host, Map<String, String> labels) throws RuntimeUnavailableException;

    /** The last lines of the container's output, for an administrator reading why it failed. */
    String logsTail(Endpoint host, String name, int lines) throws RuntimeUnavailableException;
}
