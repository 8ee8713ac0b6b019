package dev.berth.common;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DemoUser;
import dev.berth.support.PackagedApp;
import dev.berth.support.Storage;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Berth's own meters at /q/metrics (public, like health): host probes, host up and latency gauges, libvirt call latency,
 * refused requests, reconcile passes and provisioning.
 */
@QuarkusTest
class MetricsTest {
    static String metrics() {
        return given().when().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    static double value(String name, String... labels) {
        return PackagedApp.metric(metrics(), name, labels);
    }

    /** The value of the one series of {@code name} whose labels include {@code label}; fails when there is none. */
    static double published(String text, String name, String label) {
        var m = java.util.regex.Pattern.compile("^" + name + "\\{[^}]*" + java.util.regex.Pattern.quote(label) + "[^}]*}\\s+(\\S+)$",
                java.util.regex.Pattern.MULTILINE).matcher(text);
        assertTrue(m.find(), name + " has no series with " + label);
        double v = Double.parseDouble(m.group(1));
        assertTrue(!m.find(), name + " has two series with " + label);
        return v;
    }

    @Test
    void aRefusedRequestIsCounted() {
        double before = value("berth_requests_denied_total", "action=\"access\"");
        as(DemoUser.ALICE).when().get("/api/v1/admin/hosts").then().statusCode(403);
        // The refusal is audited (and counted) off the I/O thread: wait for it.
        PackagedApp.await("the denied counter to move", Duration.ofSeconds(30),
                () -> value("berth_requests_denied_total", "action=\"access\"") > before);
    }

    @Test
    void aProbeIsTimedAndItsHostPublished() {
        double probes = value("berth_host_probe_seconds_count", "kind=\"kvm\"", "outcome=\"up\"");
        double calls = value("berth_backend_call_seconds_count", "backend=\"libvirt\"", "operation=\"probe\"", "outcome=\"ok\"");
        String name = unique("metrics-kvm");
        int id = as(DemoUser.CAROL).body(Map.of("name", name, "kind", "KVM", "uri", "test:///default"))
                .when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
        try {
            as(DemoUser.CAROL).when().post("/api/v1/admin/hosts/" + id + "/probe").then().statusCode(200);
            assertTrue(value("berth_host_probe_seconds_count", "kind=\"kvm\"", "outcome=\"up\"") == probes + 1);
            assertTrue(value("berth_backend_call_seconds_count", "backend=\"libvirt\"", "operation=\"probe\"", "outcome=\"ok\"") == calls + 1);
        } finally {
            as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + id).then().statusCode(204);
        }
    }

    @Test
    void eachHostIsPublishedUpOrDownWithItsProbeLatency() throws Exception {
        String upName = unique("metrics-up");
        String downName = unique("metrics-down");
        int up = as(DemoUser.CAROL).body(Map.of("name", upName, "kind", "KVM", "uri", "test:///default"))
                .when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
        try (var silent = new dev.berth.support.SilentServer()) { // accepts, never answers: the probe times out
            int down = as(DemoUser.CAROL).body(Map.of("name", downName, "kind", "KVM", "uri", "qemu+tcp://127.0.0.1:" + silent.port() + "/system"))
                    .when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
            try {
                Number upLatency = as(DemoUser.CAROL).when().post("/api/v1/admin/hosts/" + up + "/probe").then().statusCode(200)
                        .body("lastProbe.up", org.hamcrest.Matchers.equalTo(true)).extract().path("lastProbe.latencyMillis");
                Number downLatency = as(DemoUser.CAROL).when().post("/api/v1/admin/hosts/" + down + "/probe").then().statusCode(200)
                        .body("lastProbe.up", org.hamcrest.Matchers.equalTo(false)).extract().path("lastProbe.latencyMillis");
                dev.berth.hosts.ProbeGauges.publish();
                String text = metrics();
                String upHost = "host=\"" + upName + "\"";
                String downHost = "host=\"" + downName + "\"";
                assertEquals(1.0, published(text, "berth_host_up", upHost), text);
                assertEquals(0.0, published(text, "berth_host_up", downHost)); // a down host is published as 0, not left out
                // the gauge is the latency the probe recorded, in seconds
                assertEquals(upLatency.longValue() / 1000.0, published(text, "berth_host_probe_latency_seconds", upHost), 1e-9);
                assertEquals(downLatency.longValue() / 1000.0, published(text, "berth_host_probe_latency_seconds", downHost), 1e-9);
                assertTrue(downLatency.longValue() > 0, "a probe that timed out took time: " + downLatency);
            } finally {
                as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + down).then().statusCode(204);
            }
        } finally {
            as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + up).then().statusCode(204);
        }
        // a removed host is no longer published
        dev.berth.hosts.ProbeGauges.publish();
        String text = metrics();
        assertTrue(!text.contains("\"" + upName + "\"") && !text.contains("\"" + downName + "\""), "removed hosts still published");
    }

    @Test
    void aReconcilePassAndAProvisioningAreCounted() {
        String tenant = unique("metrics-t");
        as(DemoUser.CAROL).body(Map.of("slug", tenant)).when().post("/api/v1/admin/tenants").then().statusCode(201);
        double passes = value("berth_reconcile_loops_total", "loop=\"storage\"", "outcome=\"ok\"");
        io.quarkus.arc.Arc.container().instance(dev.berth.storage.instance.Reconciler.class).get().reconcileAll();
        assertEquals(passes + 1, value("berth_reconcile_loops_total", "loop=\"storage\"", "outcome=\"ok\""));

        double provisioned = value("berth_provisioning_seconds_count", "outcome=\"ok\"");
        double seconds = value("berth_provisioning_seconds_sum", "outcome=\"ok\"");
        long t0 = System.nanoTime();
        Storage.ready(tenant); // a new tenant: one provisioning, from the request to a running MinIO
        double took = (System.nanoTime() - t0) / 1e9;
        try {
            assertEquals(provisioned + 1, value("berth_provisioning_seconds_count", "outcome=\"ok\""));
            double recorded = value("berth_provisioning_seconds_sum", "outcome=\"ok\"") - seconds;
            // it started and ended within our call, so it took some time and no more than the call did
            assertTrue(recorded > 0 && recorded <= took, "recorded " + recorded + " s for a provisioning inside a " + took + " s call");
        } finally {
            Storage.remove(tenant);
        }
    }
}
