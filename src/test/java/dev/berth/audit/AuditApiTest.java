package dev.berth.audit;

import static dev.berth.support.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DemoUser;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.StringReader;
import java.time.Instant;
import org.apache.commons.csv.CSVFormat;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AuditApiTest {
    @Inject
    AuditLog audit;

    @Test
    void deniedAttemptsAreRecordedWithActorAndRequestId() throws InterruptedException {
        as(DemoUser.ALICE).header("X-Request-Id", "req-denied-1").when().get("/api/v1/admin/hosts").then().statusCode(403);
        // Refusals raised on an I/O thread are written a moment later, off that thread.
        for (int i = 0; i < 50 && audit.search(new AuditFilter(null, "alice", "access", Outcome.DENIED, null, null), 0, 500)
                .items().stream().noneMatch(e -> "req-denied-1".equals(e.requestId())); i++) {
            Thread.sleep(100);
        }
        as(DemoUser.CAROL).queryParam("actor", "alice").queryParam("outcome", "denied")
                .when().get("/api/v1/admin/audit").then().statusCode(200)
                .body("items.requestId", hasItem("req-denied-1"))
                .body("items.find { it.requestId == 'req-denied-1' }.target", equalTo("GET /api/v1/admin/hosts"))
                .body("items.outcome", everyItem(equalTo("DENIED")));
    }

    @Test
    void filtersPagesAndTimeRange() {
        for (int i = 0; i < 3; i++) {
            audit.record("auditor-" + i, "acme", "test.filter", "t" + i, Outcome.FAILED, "because, \"quoted\"", null);
        }
        as(DemoUser.CAROL).queryParam("action", "test.filter").queryParam("size", 2)
                .when().get("/api/v1/admin/audit").then().statusCode(200)
                .body("total", greaterThan(2)).body("items.size()", equalTo(2));
        as(DemoUser.CAROL).queryParam("action", "test.filter").queryParam("actor", "AUDITOR-1")
                .when().get("/api/v1/admin/audit").then().statusCode(200)
                .body("items.size()", equalTo(1)).body("items[0].target", equalTo("t1"));
        as(DemoUser.CAROL).queryParam("action", "test.filter").queryParam("to", "2000-01-01")
                .when().get("/api/v1/admin/audit").then().statusCode(200).body("total", equalTo(0));
        as(DemoUser.CAROL).queryParam("from", Instant.now().plusSeconds(3600).toString())
                .when().get("/api/v1/admin/audit").then().statusCode(200).body("total", equalTo(0));
        as(DemoUser.CAROL).queryParam("actor", "%").when().get("/api/v1/admin/audit").then().statusCode(200).body("total", equalTo(0));
    }

    @Test
    void badFiltersAreRefusedByField() {
        as(DemoUser.CAROL).queryParam("outcome", "maybe").queryParam("from", "yesterday")
                .when().get("/api/v1/admin/audit").then().statusCode(400).contentType("application/problem+json")
                .body("errors.field", hasItem("outcome")).body("errors.field", hasItem("from"));
        as(DemoUser.CAROL).queryParam("from", "2026-02-01").queryParam("to", "2026-01-01")
                .when().get("/api/v1/admin/audit").then().statusCode(400).body("errors[0].field", equalTo("to"));
    }

    @Test
    void csvExportIsWellFormedAndDefusesFormulas() throws Exception {
        audit.record("=cmd|' /C calc'!A0", "acme", "test.csv", "target, with comma", Outcome.OK, "line\nbreak", "rid-csv");
        String csv = io.restassured.RestAssured.given().auth().oauth2(DemoUser.CAROL.token())
                .queryParam("action", "test.csv")
                .when().get("/api/v1/admin/audit/export")
                .then().statusCode(200).contentType(startsWith("text/csv"))
                .header("Content-Disposition", containsString("attachment"))
                .extract().asString();
        var records = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).build().parse(new StringReader(csv)).getRecords();
        assertTrue(records.size() >= 1);
        var r = records.get(0);
        assertEquals("'=cmd|' /C calc'!A0", r.get("actor"));
        assertEquals("target, with comma", r.get("target"));
        assertEquals("line\nbreak", r.get("reason"));
        assertEquals("rid-csv", r.get("request_id"));
    }
}
