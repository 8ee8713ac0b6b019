package dev.berth.dashboard;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.Api;
import dev.berth.support.DemoUser;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The dashboard shows what the tenant has, counted from the same sources as the machine list and the usage page. */
@QuarkusTest
class DashboardTest {
    static final String RUNNING = "f1ee7000-0003-4000-8000-000000000001";
    static final String SHUT_OFF = "f1ee7000-0003-4000-8000-000000000004";

    @Test
    void theMachinesCardCountsTheTenantsMachinesByState() {
        Api.as(DemoUser.BOB).when().get("/api/v1/me").then().statusCode(200);
        roomFor("globex");
        int host = Api.as(DemoUser.CAROL).body(Map.of("name", Api.unique("dash"), "kind", "KVM",
                        "uri", "test://" + Path.of("src/test/resources/libvirt/fleet-3.xml").toAbsolutePath()))
                .when().post("/api/v1/admin/hosts").then().statusCode(201).extract().<Integer>path("id");
        var domains = List.of(Map.of("hostId", host, "uuid", RUNNING), Map.of("hostId", host, "uuid", SHUT_OFF));
        List<Integer> ids = Api.as(DemoUser.CAROL).body(Map.of("tenant", "globex", "domains", domains))
                .when().post("/api/v1/admin/vms/assignments").then().statusCode(201).extract().path("ids");
        try {
            countsMatchTheMachineList();
        } finally { // other classes expect globex without these machines (BucketPagesTest sets a quota of none)
            Api.as(DemoUser.CAROL).body(Map.of("ids", ids)).when().delete("/api/v1/admin/vms/assignments").then().statusCode(204);
            Api.as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + host).then().statusCode(204);
        }
    }

    private static void countsMatchTheMachineList() {

        List<Map<String, Object>> items = Api.as(DemoUser.BOB).queryParam("size", 500).when().get("/api/v1/vms")
                .then().statusCode(200).extract().path("items");
        List<String> states = items.stream()
                .map(m -> Boolean.TRUE.equals(m.get("missing")) ? "UNKNOWN" : (String) m.get("state")).toList();
        long running = states.stream().filter(s -> List.of("RUNNING", "BLOCKED", "PAUSED", "SHUTDOWN", "PMSUSPENDED").contains(s)).count();
        long unknown = states.stream().filter("UNKNOWN"::equals).count();
        assertTrue(running >= 1 && states.size() - running - unknown >= 1, "both states assigned: " + states);

        String page = given().auth().oauth2(DemoUser.BOB.token()).when().get("/").then().statusCode(200).extract().asString();
        assertEquals(states.size(), number(page, "card-machines-total"), "total");
        assertEquals(running, number(page, "card-machines-running"), "running");
        assertEquals(states.size() - running - unknown, number(page, "card-machines-stopped"), "stopped");
        assertTrue(page.contains("href=\"/machines\" id=\"card-machines-link\""), "links to the list");
        assertTrue(!page.contains("No machines yet"), "no empty state with machines");
    }

    @Test
    void theUsageCardShowsEveryQuotaWithItsUse() {
        String page = given().auth().oauth2(DemoUser.ALICE.token()).when().get("/").then().statusCode(200).extract().asString();
        int card = page.indexOf("id=\"card-usage\"");
        assertTrue(card > 0, "usage card");
        String usage = page.substring(card);
        Map<String, Object> quota = Api.as(DemoUser.ALICE).when().get("/api/v1/quota").then().statusCode(200).extract().path("usage");
        for (String name : List.of("Machines", "vCPUs", "Memory", "Buckets", "Storage", "Access keys")) {
            assertTrue(usage.contains("<span class=\"berth-meter-name\">" + name + "</span>"), name);
        }
        assertTrue(usage.contains("<span>" + quota.get("vms") + " / "), "machines used, as the API says: " + quota);
        assertTrue(usage.contains("href=\"/usage\" id=\"card-usage-link\""), "links to the usage page");
    }

    private static int number(String page, String id) {
        Matcher m = Pattern.compile("id=\"" + id + "\">(\\d+)<").matcher(page);
        assertTrue(m.find(), id + " on the page");
        return Integer.parseInt(m.group(1));
    }

    private static void roomFor(String tenant) {
        var q = new HashMap<String, Object>();
        q.put("vms", 1000); q.put("vcpus", 4000); q.put("memory", "4 TiB"); q.put("buckets", 10);
        q.put("storageSoft", "1T"); q.put("storageHard", "2T"); q.put("accessKeys", 10); q.put("containerCpus", 1);
        q.put("containerMemory", "1G"); q.put("containerReadBps", 0); q.put("containerWriteBps", 0);
        Api.as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/" + tenant + "/quota").then().statusCode(200);
    }
}
