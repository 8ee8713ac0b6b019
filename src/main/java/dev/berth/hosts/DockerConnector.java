package dev.berth.hosts;

import com.github.dockerjava.api.model.Info;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Docker hosts' facts through {@link DockerClients} (connection, TLS, timeouts and error messages live there,
 * shared with the storage adapter).
 */
@ApplicationScoped
public class DockerConnector implements HostConnector {
    @Override
    public HostKind kind() {
        return HostKind.DOCKER;
    }

    @Override
    public HostFacts probe(Endpoint endpoint, Duration timeout) throws HostProbeException {
        return dev.berth.common.BackendCalls.time(dev.berth.common.BackendCalls.DOCKER, "info", () -> facts(endpoint, timeout));
    }

    private static HostFacts facts(Endpoint endpoint, Duration timeout) throws HostProbeException {
        long started = System.nanoTime();
        return DockerClients.call(endpoint, timeout, client -> {
            Info info = client.infoCmd().exec();
            long latency = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            // docker info has no free memory: null, as HostFacts allows.
            return new HostFacts(latency, info.getServerVersion(), info.getNCPU(), info.getMemTotal(), null,
                    null, null, info.getContainers(), info.getContainersRunning());
        });
    }
}
