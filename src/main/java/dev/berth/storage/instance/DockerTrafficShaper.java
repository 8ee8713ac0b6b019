package dev.berth.storage.instance;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import dev.berth.common.BackendCalls;
import dev.berth.hosts.DockerClients;
import dev.berth.hosts.Endpoint;
import dev.berth.hosts.HostProbeException;
import dev.berth.storage.StorageConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@link TrafficShaper} through the Docker API only: each observation or change is one short-lived helper container
 * ({@code berth.storage.tc-image}: the project's Debian base with iproute2) on the host's network with NET_ADMIN (not
 * privileged), running a script from {@link Tc}, then removed. The host's {@code /run/lock} is mounted so that
 * helpers of several deployments serialise their changes with {@code flock}.
 */
@ApplicationScoped
public class DockerTrafficShaper implements TrafficShaper {
    static final String LABEL_HELPER = "berth.helper";

    @Inject
    StorageConfig config;

    @Override
    public HostRules observe(Endpoint host, String address) throws RuntimeUnavailableException {
        return parse(run(host, "tc.observe", Tc.observeScript(address)));
    }

    @Override
    public HostRules apply(Endpoint host, String address, List<Cap> set, List<Integer> remove) throws RuntimeUnavailableException {
        return parse(run(host, "tc.apply", Tc.applyScript(address, config.scope(), set, remove)));
    }

    private HostRules parse(String output) throws RuntimeUnavailableException {
        try {
            return Tc.parse(output, config.scope());
        } catch (IllegalStateException e) {
            throw new RuntimeUnavailableException("traffic control: " + e.getMessage(), false, e);
        }
    }

    private String run(Endpoint host, String operation, String script) throws RuntimeUnavailableException {
        String name = config.scope() + "-tc-" + UUID.randomUUID().toString().substring(0, 8);
        long waitMillis = config.callTimeout().toMillis() * 2;
        try {
            return BackendCalls.time(BackendCalls.DOCKER, operation, () -> DockerClients.call(host, config.callTimeout().multipliedBy(3), c -> {
                HostConfig hc = HostConfig.newHostConfig()
                        .withNetworkMode("host")
                        .withCapAdd(Capability.NET_ADMIN)
                        .withBinds(Bind.parse("/run/lock:/run/lock"))
                        .withMemory(64L * 1024 * 1024);
                String id = c.createContainerCmd(config.tcImage()).withName(name)
                        .withLabels(Map.of(LABEL_HELPER, "tc", LABEL_HELPER + ".scope", config.scope()))
                        .withCmd("sh", "-c", script).withHostConfig(hc).exec().getId();
                try {
                    c.startContainerCmd(id).exec();
                    Integer exit = c.waitContainerCmd(id).exec(new WaitContainerResultCallback())
                            .awaitStatusCode(waitMillis, TimeUnit.MILLISECONDS);
                    var out = new StringBuilder();
                    try (var cb = c.logContainerCmd(id).withStdOut(true).withStdErr(true)
                            .exec(new ResultCallback.Adapter<Frame>() {
                                @Override
                                public void onNext(Frame frame) {
                                    out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                                }
                            })) {
                        cb.awaitCompletion(waitMillis, TimeUnit.MILLISECONDS);
                    }
                    if (exit != null && exit != 0 && !out.toString().contains("berth-error:")) {
                        out.append("\nberth-error: the helper exited with ").append(exit).append(": ")
                                .append(out.toString().strip().lines().reduce((a, b) -> b).orElse(""));
                    }
                    return out.toString();
                } finally {
                    c.removeContainerCmd(id).withForce(true).exec();
                }
            }));
        } catch (DockerClients.EngineAnswered e) {
            if (e.status() == 404) {
                throw new RuntimeUnavailableException("the traffic-control helper image " + config.tcImage()
                        + " is not on this host (./berth builds it; BERTH_TC_IMAGE names it): " + e.getMessage(), false, e);
            }
            throw new RuntimeUnavailableException("cannot run the traffic-control helper: " + e.getMessage(), false, e);
        } catch (HostProbeException e) {
            throw new RuntimeUnavailableException(e.getMessage(), true, e);
        }
    }
}
