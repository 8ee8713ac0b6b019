package dev.berth.support;

import static dev.berth.support.Api.as;

import java.util.HashMap;
import java.util.Map;

/** Storage test helpers through the public API. */
public final class Storage {
    private Storage() {
    }

    /** Enough buckets and keys for a test class, with the storage limits given. */
    public static void quota(String tenant, String soft, String hard) {
        var q = new HashMap<String, Object>();
        q.put("vms", 1000); q.put("vcpus", 4000); q.put("memory", "4 TiB"); q.put("buckets", 100);
        q.put("storageSoft", soft); q.put("storageHard", hard); q.put("accessKeys", 200); q.put("containerCpus", 1);
        q.put("containerMemory", "1G"); q.put("containerReadBps", 0); q.put("containerWriteBps", 0);
        as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/" + tenant + "/quota").then().statusCode(200);
    }

    public static void bucket(DemoUser user, String name) {
        as(user).body(Map.of("name", name)).when().post("/api/v1/buckets").then().statusCode(201);
    }

    /** A new key: its JSON (key, endpoint, secretKey, mount, download). */
    public static io.restassured.path.json.JsonPath key(DemoUser user, String bucket, String mode) {
        return as(user).body(Map.of("mode", mode, "description", "test key")).when().post("/api/v1/buckets/" + bucket + "/keys")
                .then().statusCode(201).extract().jsonPath();
    }
}
