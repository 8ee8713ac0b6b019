package dev.berth.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.hosts.DockerConnector;
import dev.berth.hosts.Endpoint;
import dev.berth.hosts.HostFacts;
import dev.berth.hosts.HostInput;
import dev.berth.hosts.HostKind;
import dev.berth.hosts.HostProbeException;
import dev.berth.hosts.HostProber;
import dev.berth.hosts.HostService;
import dev.berth.hosts.HostView;
import dev.berth.storage.instance.Reconciler;
import dev.berth.storage.instance.StorageService;
import dev.berth.storage.instance.StorageView;
import dev.berth.support.DockerCli;
import dev.berth.support.PrivateDockerd;
import dev.berth.tenancy.TenantService;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real second Docker engine serving tcp://127.0.0.1:port with {@code --tlsverify} (the only Docker port the production
 * NetworkPolicy opens), started and removed by the test ({@link PrivateDockerd}): the probe over mutual TLS and its
 * refusals, placement onto it, an instance's whole lifecycle through it, and the engine restarted under a running
 * portal (the instance comes back, the reconciler converges on the same container).
 */
@QuarkusTest
class DockerTlsEngineTest {
    static PrivateDockerd engine;

    @Inject
    HostService hosts;
    @Inject
    HostProber prober;
    @Inject
    StorageService storage;
    @Inject
    Reconciler reconciler;
    @Inject
    TenantService tenants;
    @Inject
    InstanceDirectory directory;
    @Inject
    StorageConfig config;

    final DockerConnector connector = new DockerConnector();

    @BeforeAll
    static void startEngine() throws Exception {
        engine = new PrivateDockerd();
    }

    @AfterAll
    static void stopEngine() {
        if (engine != null) {
            engine.close();
        }
        DockerCli.cleanUp();
    }

    Endpoint.TlsMaterial tls() {
        return new Endpoint.TlsMaterial(engine.caPem, engine.clientCertPem, engine.clientKeyPem);
    }

    @Test
    @Timeout(60)
    void theProbeGivesTheEnginesFactsOverMutualTls() throws Exception {
        HostFacts facts = connector.probe(new Endpoint(engine.tcpUri(), tls()), Duration.ofSeconds(10));

        assertEquals(engine.cli("info", "--format", "{{.ServerVersion}}"), facts.version());
        assertEquals(Integer.parseInt(engine.cli("info", "--format", "{{.NCPU}}")), facts.cpus());
        assertEquals(Long.parseLong(engine.cli("info", "--format", "{{.MemTotal}}")), facts.memoryBytes());
        assertEquals(engine.lines("ps", "-aq").size(), facts.containers());
    }

    @Test
    @Timeout(60)
    void anEngineNotSignedByTheGivenCaIsRefused() {
        // The client certificate as "CA": it signed nothing, so the engine's certificate cannot be trusted.
        var wrongCa = new Endpoint.TlsMaterial(engine.clientCertPem, engine.clientCertPem, engine.clientKeyPem);

        HostProbeException e = assertThrows(HostProbeException.class,
                () -> connector.probe(new Endpoint(engine.tcpUri(), wrongCa), Duration.ofSeconds(10)));

        assertTrue(e.getMessage().startsWith("TLS with " + engine.tcpUri() + " failed: "), e.getMessage());
    }

    @Test
    @Timeout(60)
    void theEngineRefusesACertificateItsCaDidNotIssueForClients() throws Exception {
        // The server's own certificate is signed by the same CA but only for serverAuth: --tlsverify refuses it.
        var notAClient = new Endpoint.TlsMaterial(engine.caPem, Files.readString(engine.dir.resolve("server.pem")),
                Files.readString(engine.dir.resolve("server-key.pem")));

        HostProbeException e = assertThrows(HostProbeException.class,
                () -> connector.probe(new Endpoint(engine.tcpUri(), notAClient), Duration.ofSeconds(10)));

        assertTrue(e.getMessage().contains(engine.tcpUri()), e.getMessage());
    }

    @Test
    @Timeout(300)
    void anInstanceLivesItsWholeLifeOnTheTlsEngineAndSurvivesItsRestart() throws Exception {
        engine.loadImage(config.image());
        HostView tlsHost = hosts.create(StorageFixtures.TEST, new HostInput("storage-test-tls-" + engine.port,
                HostKind.DOCKER.name(), engine.tcpUri(), "127.0.0.1", "", true, engine.caPem, engine.clientCertPem, engine.clientKeyPem));
        HostView probed = prober.probe(tlsHost.id());
        assertTrue(probed.lastProbe().up(), "probe through the host registry: " + probed.lastProbe().error());

        String slug = "st-tls-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        tenants.create(StorageFixtures.TEST, slug, slug);
        var others = hosts.enabled(HostKind.DOCKER).stream().filter(h -> h.id() != tlsHost.id()).toList();
        others.forEach(h -> hosts.setEnabled(StorageFixtures.TEST, h.id(), false)); // placement has one choice
        StorageView v;
        try {
            v = storage.activate(StorageFixtures.TEST, slug).instance();
            reconciler.kick(v.id()).join();
            v = storage.of(slug);
        } finally {
            others.forEach(h -> hosts.setEnabled(StorageFixtures.TEST, h.id(), true));
        }
        long id = v.id();
        assertEquals("READY", v.status(), () -> "last error: " + storage.of(slug).lastError());
        assertEquals(tlsHost.name(), v.host());
        List<String> here = engine.lines("ps", "-a", "--format", "{{.ID}}", "--filter", "label=berth.tenant=" + slug);
        assertEquals(1, here.size(), "the container is on the TLS engine");
        assertEquals(List.of(), DockerCli.containers("berth.tenant=" + slug), "and not on the shared engine");
        String containerId = here.getFirst();
        StorageFixtures.put(access(slug), "data", "tls.txt", "written through the TLS engine");

        storage.suspend(StorageFixtures.TEST, id);
        assertEquals("exited", engine.cli("inspect", "--format", "{{.State.Status}}", containerId));
        storage.resume(StorageFixtures.TEST, id);
        reconciler.kick(id).join();
        assertEquals("READY", storage.of(slug).status(), () -> storage.of(slug).lastError());

        // The engine restarts under the running portal: down, Berth says so; back, the same container serves the data.
        engine.stop();
        reconciler.kick(id).join();
        StorageView away = storage.of(slug);
        assertEquals("UNREACHABLE", away.status());
        assertTrue(away.lastError().contains("127.0.0.1:" + engine.port), away.lastError());
        assertTrue(directory.readyInstance(tenants.idOf(slug)).isEmpty(), "no endpoint is handed out while it is away");
        assertTrue(!prober.probe(tlsHost.id()).lastProbe().up());

        engine.start();
        reconciler.kick(id).join();
        assertEquals("READY", storage.of(slug).status(), () -> storage.of(slug).lastError());
        assertEquals(List.of(containerId), engine.lines("ps", "-a", "--format", "{{.ID}}", "--filter", "label=berth.tenant=" + slug),
                "the same container, not a new one");
        assertEquals("written through the TLS engine", StorageFixtures.get(access(slug), "data", "tls.txt"));
        assertTrue(prober.probe(tlsHost.id()).lastProbe().up());

        storage.delete(StorageFixtures.TEST, id, "delete", slug);
        assertEquals(List.of(), engine.lines("ps", "-aq", "--filter", "label=berth.tenant=" + slug));
        assertEquals(List.of(), engine.lines("volume", "ls", "-q", "--filter", "label=berth.tenant=" + slug));
        hosts.delete(StorageFixtures.TEST, tlsHost.id());
    }

    InstanceAccess access(String slug) {
        return directory.readyInstance(tenants.idOf(slug)).orElseThrow(() -> new AssertionError("not ready: " + storage.of(slug).lastError()));
    }
}
