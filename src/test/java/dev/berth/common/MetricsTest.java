package dev.berth.common;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DemoUser;
import dev.berth.support.PackagedApp;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Berth's own meters at /q/metrics (public, like health): host probes, libvirt call latency, refused requests. */
@QuarkusTest
class MetricsTest {
    static String metrics() {
        return given().when().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    static double value(String name, String... labels) {
        return PackagedApp.metric(metrics(), name, labels);
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
}
