package dev.berth.hosts;

import dev.berth.support.SilentServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

/**
 * LibvirtConnector against libvirt's in-process test driver (Debian libvirt0) and against loopback sockets
 * that refuse or hang. The numbers asserted for host-a/host-b are the ones written in their XML files.
 */
@Tag(DatabasePass.INDEPENDENT)
class LibvirtConnectorTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final LibvirtConnector connector = new LibvirtConnector();

    @Test
    @Timeout(60)
    void defaultTestHostGivesTheDriversBuiltInFacts() throws Exception {
        long t0 = System.nanoTime();
        HostFacts facts = probe("test:///default");
        long callMillis = (System.nanoTime() - t0) / 1_000_000;

        // libvirt's built-in test node: 2 NUMA nodes x 2 sockets x 2 cores x 2 threads, 3 GiB, one running domain
        assertEquals(16, facts.cpus());
        assertEquals(3L * 1024 * 1024 * 1024, facts.memoryBytes());
        assertEquals(1, facts.runningDomains());
        assertEquals(1, facts.totalDomains());
        assertNotNull(facts.freeMemoryBytes(), "the default test node has NUMA cells, so it reports free memory");
        assertTrue(facts.freeMemoryBytes() > 0 && facts.freeMemoryBytes() <= facts.memoryBytes());
        assertTrue(facts.version().matches("TEST \\d+\\.\\d+\\.\\d+, libvirt \\d+\\.\\d+\\.\\d+"), facts.version());
        assertNull(facts.containers());
        assertNull(facts.runningContainers());
        // the latency is measured inside the call, so it cannot exceed the call
        assertTrue(facts.latencyMillis() >= 0 && facts.latencyMillis() <= callMillis + 1, facts.latencyMillis() + " ms in a " + callMillis + " ms call");
    }

    @Test
    @Timeout(60)
    void hostAGivesExactlyWhatItsFileDefines() throws Exception {
        HostFacts facts = probe(hostFile("host-a.xml"));

        assertEquals(12, facts.cpus()); // 1 node x 1 socket x 6 cores x 2 threads
        assertEquals(32L * 1024 * 1024 * 1024, facts.memoryBytes());
        assertEquals(2, facts.runningDomains());
        assertEquals(3, facts.totalDomains()); // batch-1 is shut off
        // The test driver has no NUMA cells for a host file and answers 0 free bytes: unknown, not "full".
        assertNull(facts.freeMemoryBytes());
        assertNull(facts.containers());
    }

    @Test
    @Timeout(60)
    void hostBGivesExactlyWhatItsFileDefines() throws Exception {
        HostFacts facts = probe(hostFile("host-b.xml"));

        assertEquals(4, facts.cpus());
        assertEquals(8L * 1024 * 1024 * 1024, facts.memoryBytes());
        assertEquals(1, facts.runningDomains());
        assertEquals(1, facts.totalDomains());
    }

    @Test
    @Timeout(60)
    void aMissingHostFileGivesLibvirtsMessage() {
        HostProbeException e = assertThrows(HostProbeException.class,
                () -> probe("test:///nonexistent/berth-no-such-host.xml"));
        assertTrue(e.getMessage().contains("/nonexistent/berth-no-such-host.xml"), e.getMessage());
    }

    @Test
    @Timeout(60)
    void aRefusedPortGivesLibvirtsMessage() throws Exception {
        int port = SilentServer.refusedPort();

        HostProbeException e = assertThrows(HostProbeException.class,
                () -> probe("qemu+tcp://127.0.0.1:" + port + "/system"));

        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertTrue(e.getMessage().contains("Connection refused"), e.getMessage());
        assertTrue(e.getCause() != null, "libvirt's exception stays attached for the log");
    }

    @Test
    @Timeout(60)
    void aHostThatAcceptsAndNeverAnswersTimesOut() throws Exception {
        try (SilentServer silent = new SilentServer()) {
            String uri = "qemu+tcp://127.0.0.1:" + silent.port() + "/system";

            // Half a second: the host never answers, so any bound is waited out in full; a short one costs less.
            HostProbeException e = assertThrows(HostProbeException.class,
                    () -> connector.probe(new Endpoint(uri, null), Duration.ofMillis(500)));

            assertEquals("timed out after 500ms connecting to " + uri, e.getMessage());
            // libvirt really connected and then waited (its abandoned thread may connect a moment after the timeout)
            dev.berth.support.PackagedApp.await("libvirt's connection to the silent host", Duration.ofSeconds(10), Duration.ofMillis(20),
                    () -> silent.acceptedConnections() >= 1);
            assertEquals(1, silent.acceptedConnections(), "one connection, no retry");
        }
    }

    @Test
    @Timeout(60)
    void abandonedProbesAreCappedAndFreedWhenTheHostHangsUp() throws Exception {
        LibvirtConnector fresh = new LibvirtConnector();
        try (SilentServer silent = new SilentServer()) {
            Endpoint hanging = new Endpoint("qemu+tcp://127.0.0.1:" + silent.port() + "/system", null);
            for (int i = 0; i < LibvirtConnector.MAX_PENDING_PROBES; i++) {
                HostProbeException e = assertThrows(HostProbeException.class,
                        () -> fresh.probe(hanging, Duration.ofMillis(200)));
                assertTrue(e.getMessage().startsWith("timed out after 200ms"), e.getMessage());
            }

            HostProbeException refused = assertThrows(HostProbeException.class,
                    () -> fresh.probe(new Endpoint("test:///default", null), TIMEOUT));
            assertTrue(refused.getMessage().contains("still waiting"), refused.getMessage());
        }
        // The silent host closed every socket: the abandoned threads get an error from libvirt and end.
        while (true) {
            try {
                assertEquals(16, fresh.probe(new Endpoint("test:///default", null), TIMEOUT).cpus());
                return;
            } catch (HostProbeException e) {
                assertTrue(e.getMessage().contains("still waiting"), e.getMessage());
                Thread.sleep(100);
            }
        }
    }

    @Test
    void aBlankUriIsRefusedBeforeLibvirt() {
        HostProbeException e = assertThrows(HostProbeException.class, () -> probe(" "));
        assertEquals("no libvirt connection URI given", e.getMessage());
    }

    @Test
    void versionsAreDecodedAsLibvirtEncodesThem() {
        assertEquals("9.0.0", LibvirtConnector.formatVersion(9_000_000));
        assertEquals("8.2.12", LibvirtConnector.formatVersion(8_002_012));
        assertEquals("0.0.2", LibvirtConnector.formatVersion(2));
    }

    private HostFacts probe(String uri) throws HostProbeException {
        return connector.probe(new Endpoint(uri, null), TIMEOUT);
    }

    private static String hostFile(String name) throws URISyntaxException {
        Path file = Path.of(LibvirtConnectorTest.class.getResource("/libvirt/" + name).toURI());
        return "test://" + file.toAbsolutePath(); // test:///abs/path.xml
    }
}
