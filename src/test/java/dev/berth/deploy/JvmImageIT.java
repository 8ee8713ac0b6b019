package dev.berth.deploy;

import static dev.berth.support.PackagedApp.await;
import static dev.berth.support.PackagedApp.get;
import static dev.berth.support.PackagedApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.support.DemoUser;
import dev.berth.support.PackagedApp;
import dev.berth.support.UnixSocketRelay;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The portal's container image, built here with the local Docker engine from src/main/docker/Dockerfile.jvm.local on
 * the base ./berth makes (debootstrap + jlink; BERTH_JVM_BASE_IMAGE) and the PostgreSQL build of the app, then run as
 * production would run it (user 10001, read-only root filesystem, writable /tmp, JSON logs), with host networking on
 * 127.0.0.1 against the local Keycloak and PostgreSQL ({@value #DB}). Smoke test: health UP, the sign-in page reached
 * through the redirect to Keycloak, {@code /api/v1/me} with a token, libvirt usable inside the image (the test driver,
 * and once the host's real libvirtd through its socket mounted read-only at /run/libvirt), a refused request
 * counted and logged as JSON with its request id, and Docker's HEALTHCHECK healthy. Docker's layer cache keeps a warm
 * rebuild to the app's own layers.
 */
class JvmImageIT {
    static final String DB = "berth_lease_test";
    static final String IMAGE = "berth/berth:it";
    static final Duration START = Duration.ofMinutes(3);
    static final String DOCKER = Files.isExecutable(Path.of("/usr/bin/docker")) ? "/usr/bin/docker" : "docker";
    static String container;
    static int port;
    /**
     * The host's libvirtd sockets (read-write for discovery, read-only for probes), relayed for the image's non-root
     * user (see {@link UnixSocketRelay}) in one directory that is mounted at /run/libvirt.
     */
    static final List<UnixSocketRelay> libvirt = new ArrayList<>();
    static Path libvirtDir;
    /** A shut-off domain defined on the host's libvirtd for this run: what the image must list. */
    static final String DOMAIN = "berth-test-image-" + UUID.randomUUID().toString().substring(0, 8);
    static final String DOMAIN_UUID = UUID.randomUUID().toString();

    record Result(int exit, String out) {
    }

    static Result docker(Duration limit, String... args) {
        var cmd = new ArrayList<String>(List.of(DOCKER));
        cmd.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("docker", ".out");
            var pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().put("DOCKER_BUILDKIT", "0"); // the classic builder: no buildx plugin needed
            Process p = pb.start();
            if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("docker " + String.join(" ", args) + " did not finish within " + limit);
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            Files.delete(out);
            return new Result(p.exitValue(), text);
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static String ok(Result r, String what) {
        assertEquals(0, r.exit(), what + ": " + r.out());
        return r.out().strip();
    }

    @BeforeAll
    static void buildAndStart() {
        String base = System.getenv("BERTH_JVM_BASE_IMAGE");
        if (base == null || base.isBlank() || docker(Duration.ofSeconds(30), "image", "inspect", base).exit() != 0) {
            fail("the base image " + base + " is missing: ./berth stack builds it (BERTH_JVM_BASE_IMAGE from ./berth env)");
        }
        assertTrue(Files.isRegularFile(Path.of("target/postgresql/quarkus-app/quarkus-run.jar")), "run after package (build-postgresql)");
        ok(docker(Duration.ofMinutes(10), "build", "-q", "-f", "src/main/docker/Dockerfile.jvm.local", "--build-arg", "BASE=" + base,
                "--build-arg", "APP=target/postgresql/quarkus-app",
                "--build-arg", "AOT_TRAINING=false", // the image's AOT training start costs ~1 min here; checked by hand (README)
                "--label", "dev.berth.it=portal", "-t", IMAGE, "."), "docker build");
        // The previous run's image, untagged by this build: only ours, by label.
        docker(Duration.ofMinutes(1), "image", "prune", "-f", "--filter", "label=dev.berth.it=portal");

        port = signInPort();
        container = "berth-it-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            libvirtDir = Files.createTempDirectory("berth-image-libvirt");
            for (String socket : List.of("libvirt-sock", "libvirt-sock-ro")) {
                libvirt.add(new UnixSocketRelay(libvirtDir, socket, Path.of("/run/libvirt", socket)));
            }
            defineDomain();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
        ok(docker(Duration.ofMinutes(1), "run", "-d", "--name", container, "--network", "host",
                "--read-only", "--tmpfs", "/tmp:rw,exec,size=256m", "--memory", "768m",
                // qemu:///system inside the image: libvirt's client finds the daemon's socket at /run/libvirt
                "-v", libvirtDir + ":/run/libvirt:ro",
                "-e", "QUARKUS_HTTP_HOST=127.0.0.1", "-e", "QUARKUS_HTTP_PORT=" + port,
                "-e", "QUARKUS_PROFILE=prod,postgresql",
                "-e", "BERTH_DB_URL=jdbc:postgresql://127.0.0.1:5432/" + DB, "-e", "BERTH_DB_USER=berth", "-e", "BERTH_DB_PASSWORD=berth",
                "-e", "BERTH_OIDC_URL=" + PackagedApp.oidcUrl(), "-e", "BERTH_DEVELOPMENT_MODE=true", "-e", "BERTH_PROBE_INTERVAL=off", "-e", "BERTH_STATS_INTERVAL=off",
                IMAGE), "docker run");
        await("the container's portal ready on 127.0.0.1:" + port, START, () -> {
            if (!"true".equals(docker(Duration.ofSeconds(30), "inspect", "--format", "{{.State.Running}}", container).out().strip())) {
                fail("the container stopped: " + logs());
            }
            Integer s = PackagedApp.statusOrNull(url("/q/health/ready"));
            return s != null && s == 200;
        });
    }

    /**
     * The development realm accepts sign-in redirects to 127.0.0.1/localhost on ports 8081-8089 only (the test ports),
     * so the container takes one of those: -Dberth.image-it.port, else the first free one from 8089 down.
     */
    static int signInPort() {
        String wanted = System.getProperty("berth.image-it.port");
        if (wanted != null && !wanted.isBlank()) {
            return Integer.parseInt(wanted);
        }
        for (int p = 8089; p >= 8082; p--) {
            try (var s = new java.net.ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress())) {
                return p;
            } catch (IOException busy) {
                // next
            }
        }
        return fail("no free port among 8082-8089 for the image's sign-in redirect");
    }

    /** Shut off, never started (so no kernel needed): listed and counted, nothing more. */
    static void defineDomain() throws IOException, InterruptedException {
        Path xml = Files.createTempFile("berth-image-domain", ".xml");
        Files.writeString(xml, """
                <domain type='qemu'>
                  <name>%s</name>
                  <uuid>%s</uuid>
                  <memory unit='MiB'>64</memory>
                  <vcpu>1</vcpu>
                  <os><type arch='x86_64' machine='pc'>hvm</type></os>
                </domain>
                """.formatted(DOMAIN, DOMAIN_UUID));
        Result r = virsh("define", xml.toString());
        Files.delete(xml);
        assertEquals(0, r.exit(), "virsh define: " + r.out());
    }

    static Result virsh(String... args) throws IOException, InterruptedException {
        var cmd = new ArrayList<>(List.of("virsh", "-q", "-c", "qemu:///system"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("virsh " + String.join(" ", args) + " did not return within 30 s; run ./berth stack");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @AfterAll
    static void remove() throws Exception {
        if (container != null) {
            docker(Duration.ofMinutes(1), "rm", "-f", container);
        }
        if (libvirtDir != null) {
            virsh("undefine", DOMAIN);
            for (UnixSocketRelay r : libvirt) {
                r.close();
            }
            Files.deleteIfExists(libvirtDir);
        }
    }

    static String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    static String logs() {
        return docker(Duration.ofSeconds(30), "logs", container).out();
    }

    @Test
    void runsAsProductionWould() {
        String user = ok(docker(Duration.ofSeconds(30), "inspect", "--format", "{{.Config.User}}", container), "inspect");
        assertEquals("10001:10001", user);
        assertTrue(ok(docker(Duration.ofSeconds(30), "inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", container), "inspect").equals("true"));
        await("Docker's HEALTHCHECK to report healthy", START, () ->
                "healthy".equals(docker(Duration.ofSeconds(30), "inspect", "--format", "{{.State.Health.Status}}", container).out().strip()));
    }

    @Test
    void healthIsUp() {
        HttpResponse<String> r = get(url("/q/health"), null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("UP", json(r.body()).path("status").asText());
    }

    @Test
    void signInGoesToKeycloaksLoginPage() {
        HttpResponse<String> r = get(url("/machines"), null);
        assertEquals(302, r.statusCode());
        String location = r.headers().firstValue("Location").orElseThrow();
        assertTrue(location.startsWith(PackagedApp.oidcUrl() + "/protocol/openid-connect/auth?"), location);
        assertTrue(location.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A" + port), location);
        HttpResponse<String> login = get(location, null);
        assertEquals(200, login.statusCode());
        assertTrue(login.body().contains("id=\"kc-form-login\""), "Keycloak's sign-in form");
    }

    @Test
    void theApiAnswersWithATokenOnly() {
        assertEquals(401, get(url("/api/v1/me"), null).statusCode());
        HttpResponse<String> me = get(url("/api/v1/me"), PackagedApp.token(DemoUser.ALICE));
        assertEquals(200, me.statusCode(), me.body());
        JsonNode body = json(me.body());
        assertEquals("alice", body.path("username").asText());
        assertEquals("acme", body.path("currentTenant").path("slug").asText());
    }

    /** libvirt0 and JNA work inside the image (read-only root, dispatcher unpacked to /tmp): a test-driver host probes up. */
    @Test
    void libvirtWorksInsideTheImage() {
        String carol = PackagedApp.token(DemoUser.CAROL);
        HttpResponse<String> created = PackagedApp.post(url("/api/v1/admin/hosts"), carol,
                Map.of("name", "image-kvm-" + UUID.randomUUID().toString().substring(0, 8), "kind", "KVM", "uri", "test:///default"));
        assertEquals(201, created.statusCode(), created.body());
        long id = json(created.body()).path("id").asLong();
        HttpResponse<String> probed = PackagedApp.send(PackagedApp.request(url("/api/v1/admin/hosts/" + id + "/probe"), carol)
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(200, probed.statusCode(), probed.body());
        JsonNode probe = json(probed.body()).path("lastProbe");
        assertTrue(probe.path("up").asBoolean(), "probe inside the image: " + probe);
        assertEquals(204, PackagedApp.send(PackagedApp.request(url("/api/v1/admin/hosts/" + id), carol).DELETE().build()).statusCode());
    }

    /**
     * Once, the image against the real local libvirtd ({@code qemu:///system}, the QEMU driver, over libvirt's RPC on
     * the host's socket) instead of the in-process test driver: the probe reports QEMU and counts this run's domain,
     * and discovery lists it, shut off, with its UUID.
     */
    @Test
    void aRealLibvirtdProbesUpAndListsItsDomainsFromInsideTheImage() {
        String carol = PackagedApp.token(DemoUser.CAROL);
        String name = "image-qemu-" + UUID.randomUUID().toString().substring(0, 8);
        HttpResponse<String> created = PackagedApp.post(url("/api/v1/admin/hosts"), carol, Map.of("name", name, "kind", "KVM", "uri", "qemu:///system"));
        assertEquals(201, created.statusCode(), created.body());
        long id = json(created.body()).path("id").asLong();
        try {
            HttpResponse<String> probed = PackagedApp.send(PackagedApp.request(url("/api/v1/admin/hosts/" + id + "/probe"), carol)
                    .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build());
            assertEquals(200, probed.statusCode(), probed.body());
            JsonNode host = json(probed.body());
            assertTrue(host.path("lastProbe").path("up").asBoolean(), "probe of the real libvirtd inside the image: " + host);
            assertTrue(host.path("capacity").path("version").asText().startsWith("QEMU "), "the QEMU driver, not the test driver: " + host);
            assertTrue(host.path("capacity").path("totalDomains").asInt() >= 1, "this run's domain counted: " + host);

            HttpResponse<String> listed = get(url("/api/v1/admin/vms?host=" + name + "&name=" + DOMAIN), carol);
            assertEquals(200, listed.statusCode(), listed.body());
            JsonNode discovery = json(listed.body());
            assertEquals(0, discovery.path("unreachableHosts").size(), discovery.toString());
            assertEquals(1, discovery.path("domains").size(), discovery.toString());
            JsonNode domain = discovery.path("domains").get(0);
            assertEquals(DOMAIN, domain.path("name").asText(), domain.toString());
            assertEquals(DOMAIN_UUID, domain.path("uuid").asText(), domain.toString());
            assertEquals("SHUTOFF", domain.path("state").asText(), domain.toString());
            assertEquals(64L << 20, domain.path("memoryBytes").asLong(), domain.toString());
        } finally {
            assertEquals(204, PackagedApp.send(PackagedApp.request(url("/api/v1/admin/hosts/" + id), carol).DELETE().build()).statusCode());
        }
    }

    /** A refused request: counted at /q/metrics, and its audit line is JSON carrying the request id. */
    @Test
    void aDeniedRequestIsCountedAndLoggedAsJsonWithItsRequestId() {
        String id = "smoke-" + UUID.randomUUID();
        HttpResponse<String> r = PackagedApp.send(PackagedApp.request(url("/api/v1/admin/hosts"), PackagedApp.token(DemoUser.ALICE))
                .header("X-Request-Id", id).GET().build());
        assertEquals(403, r.statusCode());
        assertEquals(id, r.headers().firstValue("X-Request-Id").orElseThrow());
        await("the audit line of request " + id, Duration.ofSeconds(60), () -> logs().contains(id));
        JsonNode line = null;
        for (String l : logs().split("\n")) {
            if (l.contains(id)) {
                line = json(l); // every line is one JSON object
                break;
            }
        }
        assertEquals(id, line.path("mdc").path("requestId").asText(), "request id in the line's MDC: " + line);
        assertEquals("dev.berth.audit.AuditLog", line.path("loggerName").asText());
        assertTrue(PackagedApp.metric(get(url("/q/metrics"), null).body(), "berth_requests_denied_total") >= 1);
    }
}
