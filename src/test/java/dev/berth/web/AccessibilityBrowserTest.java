package dev.berth.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.storage.instance.StorageService;
import dev.berth.support.Api;
import dev.berth.support.Browser;
import dev.berth.support.DemoUser;
import dev.berth.support.Storage;
import io.quarkus.arc.Arc;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * Issue 19, item 10: every page, as each of the five demo users, checked by axe-core (vendored under
 * static/vendor/axe-core-4.14.1, loaded into the page from /static as the CSP allows) against WCAG 2.x A and AA: no
 * violation. Each page is also photographed; the README's gallery is refreshed from these pictures when asked
 * ({@code -Dberth.docs.update=true}).
 */
@QuarkusTest
class AccessibilityBrowserTest {
    static final String AXE = "/static/vendor/axe-core-4.14.1/axe.min.js";
    static final String RUNNING = "f1ee7000-0003-4000-8000-000000000001";
    static final String SHUT_OFF = "f1ee7000-0003-4000-8000-000000000004";
    static final String GLOBEX_VM = "f1ee7000-0003-4000-8000-000000000002";

    /** Pictures of the README's gallery: user and page → file under src/docs. */
    /**
     * Pictures of the README's gallery this test is the author of: user and page → file under src/docs. The other
     * pictures (hosts, tenant, audit, storage, keys, machines, console) stay with the tests that stage those pages.
     */
    static final Map<String, String> GALLERY = Map.of(
            "alice /", "dashboard.png", "alice /storage/buckets", "buckets.png", "carol /admin/hosts/new", "admin-host-form.png",
            "alice /no-such-page", "error-404.png", "erin /", "no-tenant.png");

    @TestHTTPResource("/")
    URL portal;

    int host;
    List<Integer> assignments = List.of();
    String bucket;
    String accessKey;
    long storageId;

    void aCloudWithSomethingOnEveryPage() {
        Api.as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200);
        Api.as(DemoUser.BOB).when().get("/api/v1/me").then().statusCode(200);
        Storage.quota("acme", "100G", "200G");
        roomFor("globex");
        host = Api.as(DemoUser.CAROL).body(Map.of("name", Api.unique("a11y"), "kind", "KVM",
                        "uri", "test://" + Path.of("src/test/resources/libvirt/fleet-3.xml").toAbsolutePath()))
                .when().post("/api/v1/admin/hosts").then().statusCode(201).extract().<Integer>path("id");
        List<Integer> acme = Api.as(DemoUser.CAROL).body(Map.of("tenant", "acme", "domains", List.of(
                        Map.of("hostId", host, "uuid", RUNNING), Map.of("hostId", host, "uuid", SHUT_OFF))))
                .when().post("/api/v1/admin/vms/assignments").then().statusCode(201).extract().path("ids");
        List<Integer> globex = Api.as(DemoUser.CAROL).body(Map.of("tenant", "globex", "domains", List.of(
                        Map.of("hostId", host, "uuid", GLOBEX_VM))))
                .when().post("/api/v1/admin/vms/assignments").then().statusCode(201).extract().path("ids");
        assignments = new ArrayList<>(acme);
        assignments.addAll(globex);
        Storage.ready("acme");
        bucket = Api.unique("a11y");
        Storage.bucket(DemoUser.ALICE, bucket);
        accessKey = Storage.key(DemoUser.ALICE, bucket, "read-only").getString("key.accessKey");
        storageId = Arc.container().instance(StorageService.class).get().of("acme").id();
    }

    void giveItBack() {
        if (!assignments.isEmpty()) {
            Api.as(DemoUser.CAROL).body(Map.of("ids", assignments)).when().delete("/api/v1/admin/vms/assignments").then().statusCode(204);
        }
        if (host != 0) {
            Api.as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + host).then().statusCode(204);
        }
        Storage.remove("acme");
    }

    @Test
    void noPageHasAnAxeViolationOfLevelAOrAAForAnyUser() throws Exception {
        try {
            aCloudWithSomethingOnEveryPage();
            everyPageAsEveryUser();
        } finally {
            giveItBack();
        }
    }

    private void everyPageAsEveryUser() throws Exception {
        long machine = assignments.get(0);
        List<String> tenantPages = List.of("/", "/machines", "/machines/advice", "/storage", "/storage/buckets", "/usage",
                "/admin", "/no-such-page");
        var pages = new LinkedHashMap<DemoUser, List<String>>();
        var alice = new ArrayList<>(tenantPages);
        alice.addAll(List.of("/machines/" + machine, "/machines/" + machine + "/console", "/storage/buckets/" + bucket,
                "/storage/buckets/" + bucket + "/delete", "/storage/buckets/" + bucket + "/keys/" + accessKey + "/mount"));
        pages.put(DemoUser.ALICE, alice);
        var bob = new ArrayList<>(tenantPages);
        bob.add("/machines/" + assignments.get(2));
        pages.put(DemoUser.BOB, bob);
        pages.put(DemoUser.CAROL, List.of("/", "/admin", "/admin/hosts", "/admin/hosts/new", "/admin/hosts/" + host,
                "/admin/hosts/" + host + "/delete", "/admin/vms", "/admin/vms/advice", "/admin/vms/" + machine + "/console",
                "/admin/storage", "/admin/storage/" + storageId + "/delete", "/admin/tenants", "/admin/tenants/acme",
                "/admin/tenants/acme/keys", "/admin/audit", "/machines", "/no-such-page"));
        var dave = new ArrayList<>(tenantPages);
        dave.add("/machines/" + machine);
        pages.put(DemoUser.DAVE, dave);
        pages.put(DemoUser.ERIN, List.of("/", "/machines", "/storage", "/storage/buckets", "/usage", "/admin", "/no-such-page"));

        var violations = new ArrayList<String>();
        int checked = 0;
        for (var entry : pages.entrySet()) {
            DemoUser user = entry.getKey();
            try (var b = new Browser(portal)) {
                b.driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(90));
                b.signIn(user);
                for (String page : entry.getValue()) {
                    b.open(page);
                    violations.addAll(check(b, user, page, shotName(page)));
                    checked++;
                }
                if (user == DemoUser.ALICE) { // the once-only secret page: a key created through the form
                    b.open("/storage/buckets/" + bucket);
                    b.visible(By.id("create-key-submit")).click();
                    b.visible(By.id("secret-key"));
                    violations.addAll(check(b, user, "secret", "secret"));
                    checked++;
                }
            }
        }
        assertEquals(List.of(), violations, violations.size() + " axe violations on " + checked + " pages");
    }

    /** axe-core's A/AA violations on the open page, one line per rule and element; and the page's picture. */
    private static List<String> check(Browser b, DemoUser user, String page, String shotName) throws Exception {
        b.visible(By.tagName("body"));
        @SuppressWarnings("unchecked")
        var found = (List<String>) b.driver.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                const run = () => axe.run(document, {
                    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
                    resultTypes: ['violations']})
                  .then(r => done(r.violations.flatMap(v => v.nodes.map(n =>
                      v.id + ' (' + v.impact + ') ' + n.target.join(' ') + ': ' + v.help))))
                  .catch(e => done(['axe failed: ' + e]));
                if (window.axe) { run(); return; }
                const s = document.createElement('script');
                s.src = arguments[0];
                s.onload = run;
                s.onerror = () => done(['axe-core did not load from ' + arguments[0]]);
                document.head.appendChild(s);""", AXE);
        String key = user.username() + " " + shotName;
        String file = "a11y-" + user.username() + "-" + shotName.replaceAll("[^a-zA-Z0-9]+", "-").replaceAll("^-|-$", "") + ".png";
        if (GALLERY.containsKey(key)) {
            b.screenshot(file, GALLERY.get(key));
        } else {
            b.screenshot(file);
        }
        return found.stream().map(v -> user.username() + " " + page + ": " + v).toList();
    }

    /** The page's address with this run's ids and names replaced by what they stand for. */
    private String shotName(String page) {
        return page.replace("/" + bucket, "/bucket").replace("/" + accessKey + "/", "/key/")
                .replaceAll("^/(machines|admin/vms)/\\d+", "/$1/machine").replaceAll("^/admin/hosts/\\d+", "/admin/hosts/host")
                .replaceAll("^/admin/storage/\\d+", "/admin/storage/instance");
    }

    private static void roomFor(String tenant) {
        var q = new HashMap<String, Object>();
        q.put("vms", 1000); q.put("vcpus", 4000); q.put("memory", "4 TiB"); q.put("buckets", 10);
        q.put("storageSoft", "1T"); q.put("storageHard", "2T"); q.put("accessKeys", 10); q.put("containerCpus", 1);
        q.put("containerMemory", "1G"); q.put("containerReadBps", 0); q.put("containerWriteBps", 0);
        Api.as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/" + tenant + "/quota").then().statusCode(200);
    }
}
