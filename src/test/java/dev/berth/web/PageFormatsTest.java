package dev.berth.web;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.form;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.Api;
import dev.berth.support.DemoUser;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 in the HTML: one time format with PatternFly pagination (item 7), the quota form grouped with units and
 * use beside each limit, and the host form without Docker-only fields for a KVM host (item 9).
 */
@QuarkusTest
class PageFormatsTest {
    static final Pattern TIME = Pattern.compile(
            "<time class=\"berth-time\" datetime=\"(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ)\" title=\"(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC)\">(just now|(in )?\\d+ (s|min|h|d)( ago)?)</time>");

    @Test
    void theAuditLogHasOneTimeFormatAndPatternFlyPagination() {
        for (int i = 0; i < 12; i++) { // refused creations are audited too: enough events for two pages of ten
            form(DemoUser.CAROL).formParam("slug", "Not A Slug " + i).when().post("/admin/tenants").then().statusCode(400);
        }
        int total = as(DemoUser.CAROL).when().get("/api/v1/admin/audit").then().statusCode(200).extract().path("total");
        String page = given().auth().oauth2(DemoUser.CAROL.token()).queryParam("size", 10).when().get("/admin/audit")
                .then().statusCode(200).extract().asString();
        assertTrue(page.contains("id=\"page-range\"><b>1–10</b> of <b>" + total + "</b>"), "PatternFly's \"1–10 of N\"");
        assertTrue(page.contains("<option value=\"10\" selected>10</option>"), "the page size chosen");
        assertTrue(page.contains("id=\"page-next\"") && page.contains("id=\"page-last\""), "next and last");
        assertTrue(page.contains("href=\"/admin/audit?size=10&amp;page=1\" aria-label=\"Next page\""), "the size is kept in the links");
        Matcher m = TIME.matcher(page);
        int times = 0;
        while (m.find()) {
            times++;
            assertEquals(m.group(1).replace('T', ' ').replace("Z", " UTC"), m.group(2), "datetime and title say the same time");
        }
        assertEquals(10, times, "every row's time as <time datetime title>, relative");
        assertFalse(Pattern.compile("\\d\\d:\\d\\d:\\d\\d\\.\\d").matcher(page).find(), "no fractions of seconds anywhere");

        String second = given().auth().oauth2(DemoUser.CAROL.token()).queryParam("size", 10).queryParam("page", 1)
                .when().get("/admin/audit").then().statusCode(200).extract().asString();
        assertTrue(second.contains("<b>11–" + Math.min(20, total) + "</b> of <b>" + total + "</b>"), "the second page");
        assertTrue(second.contains("id=\"page-first\"") && second.contains("id=\"page-prev\""));
        // An unknown size falls back to the page's own, never a 400 for a link.
        given().auth().oauth2(DemoUser.CAROL.token()).queryParam("size", 7).when().get("/admin/audit")
                .then().statusCode(200);
    }

    @Test
    void theHostListSaysWhenEachHostWasProbedInTheSameFormat() {
        int host = as(DemoUser.CAROL).body(Map.of("name", Api.unique("fmt"), "kind", "KVM", "uri", "test:///default"))
                .when().post("/api/v1/admin/hosts").then().statusCode(201).extract().<Integer>path("id");
        try {
            as(DemoUser.CAROL).when().post("/api/v1/admin/hosts/" + host + "/probe").then().statusCode(200);
            String page = given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin/hosts").then().statusCode(200).extract().asString();
            int cell = page.indexOf("id=\"host-" + host + "-status\"");
            assertTrue(cell > 0);
            assertTrue(TIME.matcher(page.substring(cell, page.indexOf("</td>", cell))).find(), "probed <time …>");
        } finally {
            as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + host).then().statusCode(204);
        }
    }

    @Test
    void theQuotaFormIsGroupedWithUnitsAndTheUseBesideEachLimit() {
        as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200);
        String page = given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin/tenants/acme").then().statusCode(200).extract().asString();
        Map<String, List<String>> groups = Map.of(
                "machines", List.of("vms", "vcpus", "memory"),
                "storage", List.of("buckets", "storageSoft", "storageHard", "accessKeys"),
                "container", List.of("containerCpus", "containerMemory", "containerReadBps", "containerWriteBps"));
        var order = new ArrayList<Integer>();
        for (String g : List.of("machines", "storage", "container")) {
            int start = page.indexOf("id=\"quota-" + g + "\"");
            assertTrue(start > 0, "group " + g);
            order.add(start);
            int end = page.indexOf("</section>", start);
            String section = page.substring(start, end);
            assertTrue(section.contains("role=\"group\" aria-labelledby=\"quota-" + g + "-title\"") || page.substring(start - 200, start).contains("aria-labelledby=\"quota-" + g + "-title\""));
            for (String field : groups.get(g)) {
                assertTrue(section.contains("id=\"" + field + "\""), field + " in " + g);
                assertTrue(section.contains("id=\"" + field + "-unit\""), field + " has its unit");
            }
        }
        assertEquals(order.stream().sorted().toList(), order, "machines, storage, then container limits");
        Map<String, Object> usage = as(DemoUser.ALICE).when().get("/api/v1/quota").then().statusCode(200).extract().path("usage");
        int vms = ((Number) usage.get("vms")).intValue();
        assertTrue(page.contains("id=\"vms-in-use\">In use now: " + vms + (vms == 1 ? " machine<" : " machines<")), "machines in use beside the limit");
        int keys = ((Number) usage.get("accessKeys")).intValue();
        assertTrue(page.contains("id=\"accessKeys-in-use\">In use now: " + keys + (keys == 1 ? " key<" : " keys<")));
        assertTrue(page.contains("aria-describedby=\"vms-helper\""), "the use is the field's description");
    }

    @Test
    void theHostFormHidesDockerOnlyFieldsForAKvmHost() {
        String add = given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin/hosts/new").then().statusCode(200).extract().asString();
        assertTrue(add.contains("data-shown-for=\"kind=DOCKER\" id=\"docker-only\" hidden"), "KVM is the default: no storage address");
        assertTrue(Pattern.compile("data-shown-for=\"kind=DOCKER\" id=\"docker-tls\" hidden").matcher(add).find(), "no Docker TLS");
        int docker = as(DemoUser.CAROL).body(Map.of("name", Api.unique("fmt-docker"), "kind", "DOCKER",
                        "uri", "unix:///var/run/docker.sock", "storageAddress", "127.0.0.1"))
                .when().post("/api/v1/admin/hosts").then().statusCode(201).extract().<Integer>path("id");
        try {
            String edit = given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin/hosts/" + docker).then().statusCode(200).extract().asString();
            assertTrue(edit.contains("data-shown-for=\"kind=DOCKER\" id=\"docker-only\">"), "a Docker host shows them");
            assertTrue(edit.contains("value=\"127.0.0.1\""));
        } finally {
            as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + docker).then().statusCode(204);
        }
    }
}
