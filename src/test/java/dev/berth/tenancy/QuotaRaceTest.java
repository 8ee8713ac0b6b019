package dev.berth.tenancy;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DemoUser;
import dev.berth.support.Storage;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every quota check is atomic with the change it guards: 20 requests released at the same moment, with room for 2,
 * leave exactly 2 (buckets and keys on acme's real instance; machine assignments on test-driver hosts). The same
 * race across two processes is in LeaseTwoProcessesIT.
 */
@QuarkusTest
class QuotaRaceTest {
    static final int PARALLEL = 20;

    @AfterEach
    void restore() {
        Storage.quota("acme", "1 GiB", "2 GiB");
    }

    static void quota(String tenant, int vms, int buckets, int keys) {
        var q = new HashMap<String, Object>();
        q.put("vms", vms); q.put("vcpus", 4000); q.put("memory", "4 TiB"); q.put("buckets", buckets);
        q.put("storageSoft", "1 GiB"); q.put("storageHard", "2 GiB"); q.put("accessKeys", keys); q.put("containerCpus", 1);
        q.put("containerMemory", "1G"); q.put("containerReadBps", 0); q.put("containerWriteBps", 0);
        as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/" + tenant + "/quota").then().statusCode(200);
    }

    static List<Integer> race(IntFunction<Response> request) throws Exception {
        return dev.berth.support.Race.of(PARALLEL, i -> request.apply(i).statusCode());
    }

    static void exactlyTwo(List<Integer> codes, int created) {
        assertEquals(2, codes.stream().filter(s -> s == created).count(), "succeeded: " + codes);
        assertTrue(codes.stream().allMatch(s -> s == created || s == 409), "the others refused with 409: " + codes);
    }

    @Test
    void bucketsAndKeysNeverPassTheQuota() throws Exception {
        Storage.quota("acme", "1 GiB", "2 GiB");
        Storage.ready("acme");
        List<String> before = as(DemoUser.ALICE).get("/api/v1/buckets").then().statusCode(200).extract().path("items.name");
        String prefix = unique("race");
        quota("acme", 1000, before.size() + 2, 1000);
        exactlyTwo(race(i -> as(DemoUser.ALICE).body(Map.of("name", prefix + "-" + i)).post("/api/v1/buckets")), 201);
        List<String> after = as(DemoUser.ALICE).get("/api/v1/buckets").then().extract().path("items.name");
        assertEquals(before.size() + 2, after.size(), after.toString());

        String bucket = after.stream().filter(n -> n.startsWith(prefix)).findFirst().orElseThrow();
        int keys = as(DemoUser.CAROL).get("/api/v1/admin/tenants/acme/keys").then().statusCode(200).extract().path("size()");
        quota("acme", 1000, 1000, keys + 2);
        exactlyTwo(race(i -> as(DemoUser.ALICE).body(Map.of("mode", "read-only")).post("/api/v1/buckets/" + bucket + "/keys")), 201);
        List<?> bucketKeys = as(DemoUser.ALICE).get("/api/v1/buckets/" + bucket + "/keys").then().extract().path("$");
        assertEquals(2, bucketKeys.size());

        after.stream().filter(n -> n.startsWith(prefix)).forEach(n -> as(DemoUser.ALICE).delete("/api/v1/buckets/" + n).then().statusCode(204));
    }

    @Test
    void machineAssignmentsNeverPassTheQuota() throws Exception {
        String tenant = unique("race");
        as(DemoUser.CAROL).body(Map.of("slug", tenant)).post("/api/v1/admin/tenants").then().statusCode(201);
        quota(tenant, 2, 10, 10);
        // 20 distinct domains on two fresh test-driver hosts: each request assigns one
        var domains = new ArrayList<Map<String, Object>>();
        for (String file : List.of("fleet-2.xml", "fleet-3.xml")) {
            int host = as(DemoUser.CAROL).body(Map.of("name", unique(file.replace(".xml", "")), "kind", "KVM",
                    "uri", "test://" + Path.of("src/test/resources/libvirt", file).toAbsolutePath()))
                    .post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
            for (int i = 1; i <= 10; i++) {
                domains.add(Map.of("hostId", host, "uuid", String.format("f1ee7000-000%s-4000-8000-%012d", file.charAt(6), i)));
            }
        }
        exactlyTwo(race(i -> as(DemoUser.CAROL).body(Map.of("tenant", tenant, "domains", List.of(domains.get(i))))
                .post("/api/v1/admin/vms/assignments")), 201);
        List<?> assigned = as(DemoUser.CAROL).get("/api/v1/admin/vms?assigned=true").then().statusCode(200)
                .extract().path("domains.findAll { it.tenant == '" + tenant + "' }");
        assertEquals(2, assigned.size());
    }
}
