package dev.berth.hosts;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DemoUser;
import dev.berth.support.SilentServer;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** carol registers real hosts — the local Docker engine and libvirt test-driver hosts — and unreachable ones. */
@QuarkusTest
class AdminHostsApiTest {
    @Inject
    HostProber prober;
    @Inject
    HostService hosts;

    static String testHost(String file) {
        return "test://" + Path.of("src/test/resources/libvirt", file).toAbsolutePath();
    }

    static Map<String, Object> host(String name, String kind, String uri, String storage) {
        var m = new java.util.HashMap<String, Object>();
        m.put("name", name);
        m.put("kind", kind);
        m.put("uri", uri);
        if (storage != null) {
            m.put("storageAddress", storage);
        }
        m.put("labels", "test=true");
        return m;
    }

    static int create(Map<String, Object> body) {
        return as(DemoUser.CAROL).body(body).when().post("/api/v1/admin/hosts")
                .then().statusCode(201).header("Location", containsString("/api/v1/admin/hosts/"))
                .extract().path("id");
    }

    @Test
    void aLibvirtTestHostShowsItsRealCapacity() {
        String name = unique("kvm-a");
        int id = create(host(name, "KVM", testHost("host-a.xml"), null));
        as(DemoUser.CAROL).when().post("/api/v1/admin/hosts/" + id + "/probe")
                .then().statusCode(200)
                .body("lastProbe.up", equalTo(true))
                .body("lastProbe.error", nullValue())
                .body("capacity.cpus", equalTo(HostFixtures.HOST_A_CPUS))
                .body("capacity.memoryBytes", equalTo(HostFixtures.HOST_A_MEMORY_BYTES))
                .body("capacity.runningDomains", equalTo(HostFixtures.HOST_A_RUNNING))
                .body("capacity.totalDomains", equalTo(HostFixtures.HOST_A_TOTAL));
        as(DemoUser.CAROL).when().get("/api/v1/admin/hosts/" + id).then().statusCode(200)
                .body("name", equalTo(name)).body("labels.test", equalTo("true")).body("status", equalTo("up"));
    }

    @Test
    void theLocalDockerEngineShowsItsRealCapacity() {
        int id = create(host(unique("docker-local"), "DOCKER", "unix:///var/run/docker.sock", "127.0.0.1"));
        as(DemoUser.CAROL).when().post("/api/v1/admin/hosts/" + id + "/probe")
                .then().statusCode(200)
                .body("lastProbe.up", equalTo(true))
                .body("capacity.cpus", equalTo(Runtime.getRuntime().availableProcessors()))
                .body("capacity.memoryBytes", greaterThan(0L))
                .body("capacity.containers", notNullValue())
                .body("capacity.version", notNullValue());
    }

    @Test
    @Timeout(60) // a hang guard, not a measurement
    void unreachableHostsShowAsDownWithTheErrorWhilePagesStillRender() throws Exception {
        try (var silentKvm = new SilentServer(); var silentDocker = new SilentServer()) {
            int kvm = create(host(unique("kvm-silent"), "KVM", "qemu+tcp://127.0.0.1:" + silentKvm.port() + "/system", null));
            int docker = create(host(unique("docker-silent"), "DOCKER", "tcp://127.0.0.1:" + silentDocker.port(), "127.0.0.1"));
            int refused = create(host(unique("docker-refused"), "DOCKER", "unix:///nonexistent/docker.sock", "127.0.0.1"));

            prober.probeAll(); // every enabled host in parallel, each bounded by the 2 s test timeout

            for (int id : new int[]{kvm, docker, refused}) {
                as(DemoUser.CAROL).when().get("/api/v1/admin/hosts/" + id).then().statusCode(200)
                        .body("status", equalTo("down"))
                        .body("lastProbe.up", equalTo(false))
                        .body("lastProbe.error", notNullValue());
            }
            as(DemoUser.CAROL).when().get("/api/v1/admin/hosts/" + kvm).then().body("lastProbe.error", containsString("timed out"));
            as(DemoUser.CAROL).when().get("/api/v1/admin/hosts/" + docker).then().body("lastProbe.error", containsString("timed out"));
            // The page reads only what is known: it renders while the silent hosts still hold their connections.
            io.restassured.RestAssured.given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin/hosts")
                    .then().statusCode(200).body(containsString("kvm-silent")).body(containsString("timed out"));
        }
    }

    @Test
    void badInputIsRefusedByFieldAndNothingIsSaved() {
        long before = hosts.list().size();
        as(DemoUser.CAROL).body(host("bad name", "VMWARE", "nope", null)).when().post("/api/v1/admin/hosts")
                .then().statusCode(400).contentType("application/problem+json")
                .body("errors.field", hasItem("name")).body("errors.field", hasItem("kind"));
        as(DemoUser.CAROL).body(host(unique("kvm"), "KVM", "http://example.org/", null)).when().post("/api/v1/admin/hosts")
                .then().statusCode(400).body("errors.field", hasItem("uri"));
        String dup = unique("dup");
        create(host(dup, "KVM", "test:///default", null));
        as(DemoUser.CAROL).body(host(dup, "KVM", "test:///default", null)).when().post("/api/v1/admin/hosts")
                .then().statusCode(400).body("errors[0].field", equalTo("name"))
                .body("errors[0].message", containsString("already exists"));
        as(DemoUser.CAROL).body("{not json").when().post("/api/v1/admin/hosts").then().statusCode(400);
        as(DemoUser.CAROL).body(host("x".repeat(64), "KVM", "test:///default", null)).when().post("/api/v1/admin/hosts")
                .then().statusCode(400).body("errors[0].field", equalTo("name"));
        assertEquals(before + 1, hosts.list().size(), "only the valid host was saved");
    }

    @Test
    void editDisableAndRemoveAreAudited() {
        String name = unique("kvm-edit");
        int id = create(host(name, "KVM", "test:///default", null));
        var change = host(name + "-b", "KVM", testHost("host-b.xml"), null);
        as(DemoUser.CAROL).body(change).when().put("/api/v1/admin/hosts/" + id).then().statusCode(200)
                .body("name", equalTo(name + "-b")).body("uri", containsString("host-b.xml"));
        change.put("enabled", false);
        as(DemoUser.CAROL).body(change).when().put("/api/v1/admin/hosts/" + id).then().statusCode(200)
                .body("enabled", equalTo(false)).body("status", equalTo("disabled"));
        as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + id).then().statusCode(204);
        as(DemoUser.CAROL).when().get("/api/v1/admin/hosts/" + id).then().statusCode(404).contentType("application/problem+json");
        as(DemoUser.CAROL).queryParam("actor", "carol").queryParam("action", "host.").queryParam("size", "200")
                .when().get("/api/v1/admin/audit").then().statusCode(200)
                .body("items.findAll { it.target.startsWith('" + name + "') }.action",
                        org.hamcrest.Matchers.hasItems("host.create", "host.update", "host.delete"));
    }

    @Test
    void aTlsKeyIsStoredEncryptedAndNeverReturned() {
        String pemCert = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----";
        String pemKey = "-----BEGIN PRIVATE KEY-----\nTOPSECRETKEYMATERIAL\n-----END PRIVATE KEY-----";
        var body = host(unique("docker-tls"), "DOCKER", "tcp://127.0.0.1:2376", "127.0.0.1");
        body.put("tlsCaPem", pemCert);
        body.put("tlsCertPem", pemCert);
        body.put("tlsKeyPem", pemKey);
        String json = as(DemoUser.CAROL).body(body).when().post("/api/v1/admin/hosts")
                .then().statusCode(201).body("tlsConfigured", equalTo(true)).extract().asString();
        assertFalse(json.contains("TOPSECRET"));
        String stored = io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() ->
                Host.<Host>find("name", body.get("name")).firstResult().tlsKeySealed);
        assertTrue(stored.startsWith("v1:") && !stored.contains("TOPSECRET"), "sealed at rest");
    }
}
