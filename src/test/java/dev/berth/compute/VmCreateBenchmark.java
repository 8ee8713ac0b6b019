package dev.berth.compute;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.hamcrest.Matchers.equalTo;

import dev.berth.hosts.Endpoint;
import dev.berth.support.DemoUser;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Not a test: run with {@code ./berth bench VmCreateBenchmark}. On the local libvirtd (real QEMU under TCG, a pool of
 * its own, an empty 64 MiB qcow2 image): from {@code POST /api/v1/vms} to the creation answering READY (the domain
 * running), against the raw libvirt calls of the same steps — overlay volume create, define, start — through the same
 * adapter, interleaved in the same run. Results: target/bench/vm-create.json. The first-boot file is not measured here
 * (no guest OS in this image).
 */
@QuarkusTest
class VmCreateBenchmark {
    static final int ROUNDS = Integer.getInteger("berth.bench.rounds", 5);
    static final String URI = RealQemuTest.env("BERTH_TEST_LIBVIRT_URI", "qemu:///system");

    @Inject
    Hypervisor hypervisor;
    @Inject
    Catalog catalog;
    @Inject
    dev.berth.hosts.HostService hostService;

    @Test
    void postToRunningAgainstRawCalls() throws Exception {
        String pool = "berth-test-ss-bench-" + ProcessHandle.current().pid();
        Path dir = Path.of("/var/lib/libvirt/images", pool);
        Files.createDirectories(dir);
        SelfServiceQemuTest.virsh("pool-create-as", pool, "dir", "--target", dir.toString());
        var cleaner = new dev.berth.audit.Actor("bench", null, null);
        Integer host = null;
        Integer image = null;
        Integer flavour = null;
        try {
            SelfServiceQemuTest.virsh("vol-create-as", pool, "base.qcow2", "64M", "--format", "qcow2");
            as(DemoUser.ALICE).get("/api/v1/me").then().statusCode(200);
            MachinesApiTest.generousQuota("acme");
            // the bucket variant: the machine's own key (MinIO) and a NoCloud seed (genisoimage, upload into the pool)
            dev.berth.support.Storage.ready("acme");
            String bucket = unique("bench-vm");
            dev.berth.support.Storage.bucket(DemoUser.ALICE, bucket);
            host = as(DemoUser.CAROL).body(Map.of("name", unique("bench-qemu"), "kind", "KVM", "uri", URI, "labels", "virt=qemu"))
                    .post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
            as(DemoUser.CAROL).post("/api/v1/admin/hosts/" + host + "/probe").then().statusCode(200).body("status", equalTo("up"));
            String imageName = unique("bench-empty");
            image = as(DemoUser.CAROL).body(Map.of("name", imageName, "os", "none", "minDisk", "64M", "minMemory", "64M",
                    "cloudInit", true, "hostId", host, "pool", pool, "volume", "base.qcow2")).post("/api/v1/admin/images")
                    .then().statusCode(201).extract().path("id");
            String flavourName = unique("bench-tiny");
            flavour = as(DemoUser.CAROL).body(Map.of("name", flavourName, "vcpus", "1", "memory", "128 MiB", "disk", "1 GiB"))
                    .post("/api/v1/admin/flavours").then().statusCode(201).extract().path("id");
            Endpoint endpoint = hostService.endpoint(host);
            String basePath = dir.resolve("base.qcow2").toString();
            var api = new ArrayList<Double>();
            var apiPost = new ArrayList<Double>();
            var bucketed = new ArrayList<Double>();
            var raw = new ArrayList<Double>();
            Map<String, double[]> stepsPlain = new java.util.TreeMap<>();
            Map<String, double[]> stepsBucket = new java.util.TreeMap<>();
            for (int r = -1; r < ROUNDS; r++) { // round -1 warms both paths up and is not counted
                var before = steps();
                double[] plain = postToRunning(imageName, flavourName, null, "b" + r);
                if (r >= 0) {
                    add(stepsPlain, before, steps());
                }
                before = steps();
                double[] withBucket = postToRunning(imageName, flavourName, bucket, "k" + r);
                if (r >= 0) {
                    add(stepsBucket, before, steps());
                }
                double apiMs = plain[0];

                String uuid = UUID.randomUUID().toString();
                long t1 = System.nanoTime();
                var vol = hypervisor.createVolume(endpoint, pool, MachineXml.overlayVolume(uuid + ".qcow2", 1L << 30, basePath, "qcow2"),
                        Duration.ofSeconds(30));
                hypervisor.define(endpoint, MachineXml.domain(new MachineXml.DomainSpec("qemu", "acme.raw-" + r + "-" + uuid.substring(0, 6),
                        uuid, "acme", "raw", 1, 128L << 20, vol.path(), basePath, null, new MachineXml.Network.None(), null)),
                        Duration.ofSeconds(30));
                hypervisor.act(endpoint, uuid, PowerAction.START, Duration.ofSeconds(30));
                double rawMs = (System.nanoTime() - t1) / 1e6;
                hypervisor.undefine(endpoint, uuid, Duration.ofSeconds(30));
                hypervisor.deleteVolume(endpoint, pool, uuid + ".qcow2", Duration.ofSeconds(30));
                if (r >= 0) {
                    api.add(apiMs);
                    apiPost.add(plain[1]);
                    bucketed.add(withBucket[0]);
                    raw.add(rawMs);
                }
            }
            double apiMedian = median(api);
            double rawMedian = median(raw);
            String load = Files.readString(Path.of("/proc/loadavg")).strip();
            Path out = Path.of("target", "bench", "vm-create.json");
            Files.createDirectories(out.getParent());
            Files.writeString(out, """
                    {"benchmark": "vm-create", "rounds": %d, "libvirt": "%s", "image": "empty qcow2 64 MiB, overlay 1 GiB", "flavour": "1 vCPU, 128 MiB (TCG)",
                     "postToRunningMs": %s, "rawVolumeDefineStartMs": %s,
                     "postToRunningMedianMs": %.1f, "rawMedianMs": %.1f, "ratio": %.2f, "firstBootFileMs": null,
                     "pairedRatioMedian": %.2f,
                     "postAnsweredMs": %s, "postAnsweredMedianMs": %.1f,
                     "withBucketPostToRunningMs": %s, "withBucketMedianMs": %.1f, "withBucketRatio": %.2f,
                     "stepsMeanMs": %s,
                     "stepsMeanMsWithBucket": %s,
                     "loadavgAfter": "%s"}
                    """.formatted(ROUNDS, URI, api, raw, apiMedian, rawMedian, apiMedian / rawMedian,
                    median(java.util.stream.IntStream.range(0, api.size()).mapToObj(i -> api.get(i) / raw.get(i)).toList()), apiPost, median(apiPost),
                    bucketed, median(bucketed), median(bucketed) / rawMedian, json(stepsPlain), json(stepsBucket), load));
            System.out.println(Files.readString(out));
        } finally {
            var creation = io.quarkus.arc.Arc.container().instance(MachineCreation.class).get();
            if (host != null) {
                long h = host;
                for (VmAssignment a : io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(
                        () -> VmAssignment.<VmAssignment>list("hostId", h))) {
                    SelfServiceQemuTest.quietly(() -> creation.delete(cleaner, "acme", a.id, a.name));
                }
            }
            Integer i = image;
            Integer f = flavour;
            Integer h = host;
            SelfServiceQemuTest.quietly(() -> catalog.deleteImage(cleaner, i));
            SelfServiceQemuTest.quietly(() -> catalog.deleteFlavour(cleaner, f));
            SelfServiceQemuTest.quietly(() -> hostService.delete(cleaner, h));
            new ProcessBuilder("virsh", "-q", "-c", URI, "pool-destroy", pool).start().waitFor();
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
        }
    }

    /** The timed requests go through the JDK's client: RestAssured's own cost per request is not the portal's. */
    static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URI base;

    /** POST, then the creation asked until it is no longer CREATING; returns {POST → READY, POST answered} in ms. */
    double[] postToRunning(String image, String flavour, String bucket, String prefix) throws Exception {
        String name = prefix + "-" + SelfServiceApiTest.suffix();
        var body = new java.util.HashMap<String, Object>(Map.of("name", name, "image", image, "flavour", flavour));
        if (bucket != null) {
            body.put("bucket", bucket);
        }
        String token = DemoUser.ALICE.token();
        var post = java.net.http.HttpRequest.newBuilder(base.resolve("/api/v1/vms")).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        long t0 = System.nanoTime();
        var posted = HTTP.send(post, java.net.http.HttpResponse.BodyHandlers.ofString());
        double postedMs = (System.nanoTime() - t0) / 1e6;
        if (posted.statusCode() != 202) {
            throw new AssertionError("POST answered " + posted.statusCode() + ": " + posted.body());
        }
        long id = JSON.readTree(posted.body()).get("id").asLong();
        var ask = java.net.http.HttpRequest.newBuilder(base.resolve("/api/v1/vms/" + id + "/creation?wait=30"))
                .header("Authorization", "Bearer " + token).header("Accept", "application/json").build();
        while (true) { // the creation answers the moment it is done (wait), so there is no polling delay to measure
            String status = JSON.readTree(HTTP.send(ask, java.net.http.HttpResponse.BodyHandlers.ofString()).body()).path("status").asText();
            if (!"CREATING".equals(status)) {
                if (!"READY".equals(status)) {
                    throw new AssertionError("creation " + status);
                }
                break;
            }
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        as(DemoUser.ALICE).delete("/api/v1/vms/" + id + "?confirm=" + name).then().statusCode(204);
        return new double[] {ms, postedMs};
    }

    /** Per step of berth_vm_create_step_seconds: {count, total ms} now. */
    static Map<String, double[]> steps() {
        var out = new java.util.HashMap<String, double[]>();
        for (var t : dev.berth.common.BerthMeters.registry().find(dev.berth.common.BerthMeters.VM_CREATE_STEP).timers()) {
            out.merge(t.getId().getTag("step"), new double[] {t.count(), t.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS) / 1e6},
                    (a, b) -> new double[] {a[0] + b[0], a[1] + b[1]});
        }
        return out;
    }

    static void add(Map<String, double[]> into, Map<String, double[]> before, Map<String, double[]> after) {
        after.forEach((step, v) -> {
            double[] b = before.getOrDefault(step, new double[2]);
            into.merge(step, new double[] {v[0] - b[0], v[1] - b[1]}, (x, y) -> new double[] {x[0] + y[0], x[1] + y[1]});
        });
    }

    static String json(Map<String, double[]> steps) {
        return steps.entrySet().stream().filter(e -> e.getValue()[0] > 0)
                .map(e -> "\"%s\": %.1f".formatted(e.getKey(), e.getValue()[1] / e.getValue()[0]))
                .collect(java.util.stream.Collectors.joining(", ", "{", "}"));
    }

    static double median(List<Double> values) {
        var v = values.stream().sorted().toList();
        return v.size() % 2 == 1 ? v.get(v.size() / 2) : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
    }
}
