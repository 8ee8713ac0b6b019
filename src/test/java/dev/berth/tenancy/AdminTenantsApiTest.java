package dev.berth.tenancy;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;

import dev.berth.support.DemoUser;
import io.quarkus.test.junit.QuarkusTest;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AdminTenantsApiTest {
    static Map<String, Object> quota() {
        var q = new HashMap<String, Object>();
        q.put("vms", 5);
        q.put("vcpus", "16");
        q.put("memory", "32 GiB");
        q.put("buckets", 10);
        q.put("storageSoft", "400G");
        q.put("storageHard", "500 GiB");
        q.put("accessKeys", 8);
        q.put("containerCpus", "1.5");
        q.put("containerMemory", "2G");
        q.put("containerReadBps", "200M");
        q.put("containerWriteBps", "100MB");
        return q;
    }

    @Test
    void carolSetsAcmesQuotaInHumanUnitsAndItIsAudited() {
        as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200); // acme exists
        as(DemoUser.CAROL).body(quota()).when().put("/api/v1/admin/tenants/acme/quota")
                .then().statusCode(200)
                .body("memory", equalTo("32 GiB"))
                .body("storageSoft", equalTo("400 GiB"))
                .body("containerCpus", equalTo("1.5"))
                .body("containerWriteBps", equalTo("100 MB"));
        as(DemoUser.CAROL).when().get("/api/v1/admin/tenants/acme")
                .then().statusCode(200)
                .body("tenant.slug", equalTo("acme"))
                .body("quota.vms", equalTo("5"))
                .body("meters.name", hasItems("Machines", "Storage"));
        // alice reads her own tenant's quota; bob reads globex's, never acme's.
        as(DemoUser.ALICE).when().get("/api/v1/quota").then().statusCode(200)
                .body("tenant", equalTo("acme")).body("quota.memory", equalTo("32 GiB"));
        as(DemoUser.BOB).when().get("/api/v1/quota").then().statusCode(200).body("tenant", equalTo("globex"));
        as(DemoUser.CAROL).queryParam("tenant", "acme").queryParam("action", "quota.set")
                .when().get("/api/v1/admin/audit").then().statusCode(200)
                .body("items[0].actor", equalTo("carol"))
                .body("items[0].outcome", equalTo("OK"))
                .body("items[0].reason", containsString("memory=32 GiB"));
    }

    @Test
    void badQuotaIsRefusedByFieldAndNothingChanges() {
        String slug = unique("q");
        as(DemoUser.CAROL).body(Map.of("slug", slug)).when().post("/api/v1/admin/tenants").then().statusCode(201);
        String before = as(DemoUser.CAROL).when().get("/api/v1/admin/tenants/" + slug + "/quota").then().statusCode(200).extract().asString();
        var q = quota();
        q.put("vms", -1);
        q.put("storageSoft", "600 GiB");
        q.put("memory", "lots");
        as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/" + slug + "/quota")
                .then().statusCode(400).contentType("application/problem+json")
                .body("errors.field", hasItems("vms", "storageSoft", "memory"))
                .body("errors.find { it.field == 'storageSoft' }.message", equalTo("must not be larger than the hard limit (500 GiB)"));
        as(DemoUser.CAROL).when().get("/api/v1/admin/tenants/" + slug + "/quota").then().body(equalTo(before));
        as(DemoUser.CAROL).body("").when().put("/api/v1/admin/tenants/" + slug + "/quota").then().statusCode(400);
    }

    @Test
    void createSearchSuspendAndResume() {
        String slug = unique("initech");
        as(DemoUser.CAROL).body(Map.of("slug", slug, "name", "Initech Ltd.")).when().post("/api/v1/admin/tenants")
                .then().statusCode(201).body("slug", equalTo(slug)).body("name", equalTo("Initech Ltd."));
        as(DemoUser.CAROL).body(Map.of("slug", slug)).when().post("/api/v1/admin/tenants")
                .then().statusCode(400).body("errors[0].field", equalTo("slug"));
        as(DemoUser.CAROL).body(Map.of("slug", "Not A Slug")).when().post("/api/v1/admin/tenants")
                .then().statusCode(400).body("errors[0].field", equalTo("slug"));
        as(DemoUser.CAROL).queryParam("q", "INITECH LTD").when().get("/api/v1/admin/tenants")
                .then().statusCode(200).body("items.slug", hasItem(slug)).body("items.slug", not(hasItem("acme")));
        as(DemoUser.CAROL).body(Map.of("suspended", true)).when().put("/api/v1/admin/tenants/" + slug)
                .then().statusCode(200).body("tenant.suspended", equalTo(true));
        as(DemoUser.CAROL).body(Map.of("suspended", false, "name", "Initech")).when().put("/api/v1/admin/tenants/" + slug)
                .then().statusCode(200).body("tenant.suspended", equalTo(false)).body("tenant.name", equalTo("Initech"));
        as(DemoUser.CAROL).when().get("/api/v1/admin/tenants/no-such-tenant").then().statusCode(404);
        as(DemoUser.CAROL).queryParam("tenant", slug).when().get("/api/v1/admin/audit").then().statusCode(200)
                .body("items.action", hasItems("tenant.create", "tenant.suspend", "tenant.resume", "tenant.rename"));
    }

    @Test
    void membersOfASuspendedTenantAreToldSo() {
        io.restassured.RestAssured.given().auth().oauth2(DemoUser.BOB.token()).when().get("/")
                .then().statusCode(200).body(not(containsString("id=\"tenant-suspended\"")));
        try {
            as(DemoUser.CAROL).body(Map.of("suspended", true)).when().put("/api/v1/admin/tenants/globex").then().statusCode(200);
            io.restassured.RestAssured.given().auth().oauth2(DemoUser.BOB.token()).when().get("/")
                    .then().statusCode(200).body(containsString("id=\"tenant-suspended\""));
        } finally {
            as(DemoUser.CAROL).body(Map.of("suspended", false)).when().put("/api/v1/admin/tenants/globex").then().statusCode(200);
        }
    }

    @Test
    void aUserWithoutTenantHasNoQuota() {
        as(DemoUser.ERIN).when().get("/api/v1/quota").then().statusCode(404).contentType("application/problem+json");
    }
}
