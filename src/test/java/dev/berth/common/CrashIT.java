package dev.berth.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.support.DemoUser;
import dev.berth.support.PackagedApp;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Nothing Berth acknowledged is lost when it dies: the packaged portal on its embedded H2 database takes a stream of
 * acknowledged writes (tenants created, hosts registered, quota changes, a storage activation) and is killed with
 * SIGKILL at a random moment, 20 times. After each restart every acknowledged change is there, with its audit event.
 * Bounded: 20 rounds of at most 3 s of writes each.
 */
class CrashIT {
    static final Path APP = Path.of("target", "quarkus-app");
    static final Path LOGS = Path.of("target", "crash-it");
    static final int KILLS = 20;

    static Map<String, String> env(Path data) {
        Map<String, String> env = PackagedApp.quietEmbedded(data);
        env.put("BERTH_DEVELOPMENT_MODE", "true"); // the development realm's client secret is public
        env.put("BERTH_LEASE_ENABLED", "false");
        return env;
    }

    /** What the portal acknowledged (a 2xx answer) before it was killed. */
    static final class Acked {
        final Set<String> tenants = new HashSet<>();
        final Set<String> hosts = new HashSet<>();
        int quotaBuckets = -1;      // last acknowledged bucket quota of acme
        int quotaInFlight = -1;     // the one sent when the kill came, which may or may not have landed
        boolean storage;
    }

    @Test
    void everyAcknowledgedWriteSurvivesSigkill() throws Exception {
        Path data = Files.createTempDirectory("berth-crash");
        Random random = new Random(20261130);
        Acked acked = new Acked();
        int writes = 0;
        String carol = PackagedApp.token(DemoUser.CAROL);
        String alice = PackagedApp.token(DemoUser.ALICE);
        for (int round = 0; round < KILLS; round++) {
            PackagedApp.Process p = new PackagedApp.Process("crash-" + round, APP, LOGS, env(data));
            p.awaitReady(Duration.ofMinutes(3));
            verify(p, carol, acked, round);
            if (round == 0) {
                assertEquals(200, PackagedApp.get(p.url("/api/v1/me"), alice).statusCode()); // acme is born
            }
            writes += writeUntilKilled(p, carol, alice, acked, round, random);
        }
        PackagedApp.Process last = new PackagedApp.Process("crash-final", APP, LOGS, env(data));
        try (last) {
            last.awaitReady(Duration.ofMinutes(3));
            verify(last, carol, acked, KILLS);
        }
        Files.writeString(LOGS.resolve("summary.txt"), KILLS + " kills, " + writes + " acknowledged writes, 0 lost\n");
    }

    /** Writes from another thread until a random moment, then SIGKILL while a write may be in flight. */
    static int writeUntilKilled(PackagedApp.Process p, String carol, String alice, Acked acked, int round, Random random) throws Exception {
        var stop = new AtomicBoolean();
        var count = new int[1];
        Thread writer = new Thread(() -> {
            for (int i = 0; !stop.get(); i++) {
                try {
                    switch (i % 3) {
                        case 0 -> {
                            String slug = "crash-" + round + "-" + i;
                            if (PackagedApp.post(p.url("/api/v1/admin/tenants"), carol, Map.of("slug", slug)).statusCode() == 201) {
                                synchronized (acked) { acked.tenants.add(slug); count[0]++; }
                            }
                        }
                        case 1 -> {
                            String name = "crash-host-" + round + "-" + i;
                            if (PackagedApp.post(p.url("/api/v1/admin/hosts"), carol,
                                    Map.of("name", name, "kind", "KVM", "uri", "test:///default")).statusCode() == 201) {
                                synchronized (acked) { acked.hosts.add(name); count[0]++; }
                            }
                        }
                        default -> {
                            int buckets = 1000 + round * 1000 + i;
                            synchronized (acked) { acked.quotaInFlight = buckets; }
                            if (putQuota(p, carol, buckets) == 200) {
                                synchronized (acked) { acked.quotaBuckets = buckets; count[0]++; }
                            }
                        }
                    }
                    if (round == 0 && i == 0 && PackagedApp.post(p.url("/api/v1/storage"), alice, Map.of()).statusCode() / 100 == 2) {
                        synchronized (acked) { acked.storage = true; count[0]++; }
                    }
                } catch (RuntimeException e) {
                    return; // the process died under the request: not acknowledged
                }
            }
        });
        writer.start();
        Thread.sleep(300 + random.nextInt(2700));
        p.kill();
        stop.set(true);
        writer.join(30_000);
        return count[0];
    }

    static int putQuota(PackagedApp.Process p, String carol, int buckets) {
        String body = "{\"vms\":10,\"vcpus\":20,\"memory\":\"64 GiB\",\"buckets\":" + buckets + ",\"storageSoft\":\"1 GiB\","
                + "\"storageHard\":\"2 GiB\",\"accessKeys\":10,\"containerCpus\":1,\"containerMemory\":\"1 GiB\","
                + "\"containerReadBps\":0,\"containerWriteBps\":0}";
        return PackagedApp.send(PackagedApp.request(p.url("/api/v1/admin/tenants/acme/quota"), carol)
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)).build()).statusCode();
    }

    static void verify(PackagedApp.Process p, String carol, Acked acked, int round) {
        String where = "after kill " + round + " (log " + p.log + ")";
        for (String slug : acked.tenants) {
            assertEquals(200, PackagedApp.get(p.url("/api/v1/admin/tenants/" + slug), carol).statusCode(), "tenant " + slug + " lost " + where);
        }
        Set<String> hostNames = new HashSet<>();
        PackagedApp.json(PackagedApp.get(p.url("/api/v1/admin/hosts"), carol).body()).forEach(h -> hostNames.add(h.path("name").asText()));
        assertTrue(hostNames.containsAll(acked.hosts), "hosts lost " + where);
        if (acked.quotaBuckets >= 0) {
            int now = PackagedApp.json(PackagedApp.get(p.url("/api/v1/admin/tenants/acme/quota"), carol).body()).path("buckets").asInt();
            assertTrue(now == acked.quotaBuckets || now == acked.quotaInFlight,
                    "acme's bucket quota is " + now + ", acknowledged " + acked.quotaBuckets + " " + where);
        }
        if (acked.storage) {
            String status = PackagedApp.json(PackagedApp.get(p.url("/api/v1/admin/storage"), carol).body()).path("items").get(0).path("status").asText();
            assertTrue(!status.isEmpty() && !"NOT_ACTIVATED".equals(status), "storage activation lost " + where);
        }
        // every acknowledged change has its audit event
        List<String> missing = new ArrayList<>();
        Set<String> audited = auditTargets(p, carol, "tenant.create");
        acked.tenants.stream().filter(t -> !audited.contains(t)).forEach(t -> missing.add("tenant.create " + t));
        Set<String> hostEvents = auditTargets(p, carol, "host.create");
        acked.hosts.stream().filter(h -> hostEvents.stream().noneMatch(e -> e.startsWith(h + " ("))).forEach(h -> missing.add("host.create " + h));
        assertEquals(List.of(), missing, "audit events lost " + where);
    }

    static Set<String> auditTargets(PackagedApp.Process p, String carol, String action) {
        Set<String> targets = new HashSet<>();
        for (int page = 0; ; page++) {
            HttpResponse<String> r = PackagedApp.get(p.url("/api/v1/admin/audit?size=500&page=" + page + "&action="
                    + URLEncoder.encode(action, StandardCharsets.UTF_8)), carol);
            JsonNode items = PackagedApp.json(r.body()).path("items");
            items.forEach(e -> targets.add(e.path("target").asText()));
            if (items.size() < 500) {
                return targets;
            }
        }
    }
}
