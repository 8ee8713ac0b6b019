package dev.berth.storage;

import static dev.berth.support.Api.form;
import static dev.berth.support.Api.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.support.DemoUser;
import dev.berth.support.S3;
import dev.berth.support.Storage;
import io.quarkus.test.junit.QuarkusTest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The bucket pages through plain form posts, as a browser without JavaScript uses them. */
@QuarkusTest
class BucketPagesTest {
    @BeforeEach
    void quota() {
        given().auth().oauth2(DemoUser.ALICE.token()).get("/api/v1/me").then().statusCode(200);
        given().auth().oauth2(DemoUser.BOB.token()).get("/api/v1/me").then().statusCode(200);
        Storage.quota("acme", "1 GiB", "2 GiB");
        Storage.quota("globex", "1 GiB", "2 GiB");
        Storage.ready("acme", "globex");
    }

    @AfterAll
    static void removeStorage() {
        Storage.remove("acme", "globex");
    }

    @Test
    void aliceCreatesABucketAndAKeyAndSeesTheSecretOnce() throws Exception {
        String name = unique("page");
        form(DemoUser.ALICE).formParam("name", name).post("/storage/buckets").then().statusCode(303)
                .header("Location", containsString("/storage/buckets/" + name));
        given().auth().oauth2(DemoUser.ALICE.token()).get("/storage/buckets").then().statusCode(200)
                .body(containsString("id=\"bucket-" + name + "\"")).body(containsString("id=\"storage-meters\""));

        form(DemoUser.ALICE).formParam("name", "Bad_Name").post("/storage/buckets").then().statusCode(400)
                .body(containsString("id=\"error-name\"")).body(containsString("only lower-case letters, digits, dots and hyphens"));

        String page = form(DemoUser.ALICE).formParam("mode", "read-write").formParam("description", "page test")
                .post("/storage/buckets/" + name + "/keys").then().statusCode(200)
                .header("Cache-Control", equalTo("no-store"))
                .body(containsString("only time the secret is shown"))
                .body(containsString("id=\"download\"")).body(containsString("id=\"snippet-s3fs-mount\""))
                .extract().asString();
        String accessKey = match(page, "id=\"access-key\">([A-Z0-9]+)<");
        String secret = match(page, "id=\"secret-key\">([A-Za-z0-9]+)<");
        String endpoint = match(page, "id=\"endpoint\">([^<]+)<");
        S3.as(endpoint, accessKey, secret).put(name, "one.txt", "1");

        String mount = given().auth().oauth2(DemoUser.ALICE.token()).get("/storage/buckets/" + name + "/keys/" + accessKey + "/mount")
                .then().statusCode(200).body(containsString("&lt;SECRET&gt;")).extract().asString();
        assertEquals(false, mount.contains(secret), "the secret is never shown again");
        given().auth().oauth2(DemoUser.ALICE.token()).get("/storage/buckets/" + name).then().statusCode(200)
                .body(containsString("id=\"key-" + accessKey + "\"")).body(not(containsString(secret)));
        given().auth().oauth2(DemoUser.BOB.token()).get("/storage/buckets/" + name + "/keys/" + accessKey + "/mount").then().statusCode(404);

        form(DemoUser.ALICE).formParam("description", "x".repeat(300)).formParam("mode", "read-only")
                .post("/storage/buckets/" + name + "/keys").then().statusCode(400).body(containsString("id=\"error-description\""));

        given().auth().oauth2(DemoUser.ALICE.token()).get("/storage/buckets/" + name + "/keys/" + accessKey + "/revoke").then().statusCode(200)
                .body(containsString("id=\"confirm-revoke\""));
        form(DemoUser.ALICE).post("/storage/buckets/" + name + "/keys/" + accessKey + "/revoke").then().statusCode(303);
        assertEquals("InvalidAccessKeyId", S3.outcome(() -> S3.as(endpoint, accessKey, secret).list(name)));

        // a bucket with objects goes only with its name typed; the page shows how many objects
        given().auth().oauth2(DemoUser.ALICE.token()).get("/storage/buckets/" + name + "/delete").then().statusCode(200)
                .body(containsString("holds 1 objects"));
        form(DemoUser.ALICE).formParam("confirm", "nope").post("/storage/buckets/" + name + "/delete").then().statusCode(400)
                .body(containsString("id=\"error-confirm\""));
        form(DemoUser.ALICE).formParam("confirm", name).post("/storage/buckets/" + name + "/delete").then().statusCode(303);
        given().auth().oauth2(DemoUser.ALICE.token()).get("/storage/buckets/" + name).then().statusCode(404);
    }

    @Test
    void versioningToggles() {
        String name = unique("ver");
        Storage.bucket(DemoUser.ALICE, name);
        form(DemoUser.ALICE).formParam("enabled", "true").post("/storage/buckets/" + name + "/versioning").then().statusCode(303);
        given().auth().oauth2(DemoUser.ALICE.token()).get("/storage/buckets/" + name).then().statusCode(200)
                .body(containsString("Suspend versioning"));
        form(DemoUser.ALICE).formParam("enabled", "false").post("/storage/buckets/" + name + "/versioning").then().statusCode(303);
        form(DemoUser.ALICE).post("/storage/buckets/" + name + "/delete").then().statusCode(303);
    }

    @Test
    void usagePageShowsBarsAndRefusals() {
        var q = new java.util.HashMap<String, Object>();
        q.put("vms", 0); q.put("vcpus", 0); q.put("memory", "0"); q.put("buckets", 100);
        q.put("storageSoft", "1G"); q.put("storageHard", "2G"); q.put("accessKeys", 100); q.put("containerCpus", 1);
        q.put("containerMemory", "1G"); q.put("containerReadBps", 0); q.put("containerWriteBps", 0);
        dev.berth.support.Api.as(DemoUser.CAROL).body(q).put("/api/v1/admin/tenants/globex/quota").then().statusCode(200);
        given().auth().oauth2(DemoUser.BOB.token()).get("/usage").then().statusCode(200)
                .body(containsString("id=\"usage-meters\"")).body(containsString("Access keys"))
                .body(containsString("id=\"refusals-none\""));
        // Reaching a limit shows why things are refused, and the refused attempt itself. A limit is reached only
        // when something is used, so globex gets a bucket and a quota of exactly the buckets it has.
        String kept = unique("kept");
        Storage.bucket(DemoUser.BOB, kept);
        int buckets = dev.berth.support.Api.as(DemoUser.BOB).get("/api/v1/quota").then().statusCode(200).extract().path("usage.buckets");
        q.put("buckets", buckets);
        dev.berth.support.Api.as(DemoUser.CAROL).body(q).put("/api/v1/admin/tenants/globex/quota").then().statusCode(200);
        try {
            refusedBucketIsShown(buckets);
        } finally { // later tests need globex's room back, also after a failure here
            dev.berth.support.Api.as(DemoUser.BOB).delete("/api/v1/buckets/" + kept).then().statusCode(204);
            Storage.quota("globex", "1 GiB", "2 GiB");
        }
    }

    private static void refusedBucketIsShown(int buckets) {
        String refused = unique("refused");
        form(DemoUser.BOB).formParam("name", refused).post("/storage/buckets").then().statusCode(409)
                .body(containsString("bucket quota is reached"));
        String page = given().auth().oauth2(DemoUser.BOB.token()).get("/usage").then().statusCode(200)
                .body(not(containsString("id=\"refusals-none\""))).body(not(containsString("id=\"refused-none\"")))
                .body(not(containsString("acme")))
                .extract().asString();
        String refusals = match(page, "(?s)id=\"refusals\">(.*?)</ul>");
        assertEquals(true, refusals.contains("<li>New buckets are refused (" + buckets + " of " + buckets + "): delete one"), refusals);
        // the attempt: who, what (action and name) and why, in one row of the table
        String table = match(page, "(?s)id=\"refused\">(.*?)</table>");
        String row = match(table, "(?s)(<tr[^>]*>(?:(?!</tr>).)*" + Pattern.quote(refused) + ".*?</tr>)");
        assertEquals(true, row.contains(">bob<"), row);
        assertEquals(true, row.contains("<code>bucket.create</code> " + refused), row);
        assertEquals(true, row.contains("The bucket quota is reached: " + buckets + " of " + buckets + " buckets exist."), row);
    }

    @Test
    void inactiveStorageIsExplained() {
        Storage.suspend("globex");
        try {
            given().auth().oauth2(DemoUser.BOB.token()).get("/storage/buckets").then().statusCode(200)
                    .body(containsString("id=\"storage-inactive\"")).body(containsString("Storage is not active"));
        } finally {
            Storage.resume("globex");
        }
    }

    private static String match(String page, String regex) {
        Matcher m = Pattern.compile(regex).matcher(page);
        if (!m.find()) {
            throw new AssertionError(regex + " not in page");
        }
        return m.group(1);
    }
}
