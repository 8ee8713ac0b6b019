package dev.berth.storage.instance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.berth.hosts.HostService;
import dev.berth.storage.InstanceDirectory;
import dev.berth.storage.StorageFixtures;
import dev.berth.support.DockerCli;
import dev.berth.tenancy.QuotaInput;
import dev.berth.tenancy.TenantService;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Not a test: run with {@code ./berth bench BandwidthBenchmark}. The numbers, measured in one run on loopback
 * through real MinIO instances (TLS) of two tenants on the same Docker host:
 * <ol>
 * <li>globex alone, uncapped: 256 MiB PUT and GET ({@code rounds} times);</li>
 * <li>acme capped at 20 MiB/s: 256 MiB PUT and GET (goal 20 MiB/s ± 10 %);</li>
 * <li>globex again while acme's capped transfers run (goal: at most 10 % below alone);</li>
 * <li>acme's cap changed from 20 to 40 MiB/s during a 256 MiB GET: the throughput per second before and after, the time
 * from the quota change to the kernel's new rate, and the container's start time before and after (not restarted).</li>
 * </ol>
 * Then the I/O part (cgroup v1 here): a container with a 10 MiB/s write rate writes 256 MiB buffered and direct, and the
 * dirty page cache its memory cgroup holds is sampled, for memory limits of 128 and 512 MiB.
 * Results go to target/bench/bandwidth.json.
 */
@QuarkusTest
class BandwidthBenchmark {
    static final long MIB = 1024 * 1024;
    static final long SIZE = Long.getLong("berth.bench.bandwidth.mib", 256) * MIB;
    static final int ROUNDS = Integer.getInteger("berth.bench.rounds", 3);
    static final int IO_MIB = 256;

    @Inject
    StorageService storage;
    @Inject
    Reconciler reconciler;
    @Inject
    HostService hosts;
    @Inject
    TenantService tenants;
    @Inject
    InstanceDirectory directory;

    @BeforeAll
    static void clean() {
        BandwidthCapTest.removeAllRulesOfThisRun();
    }

    @AfterAll
    static void cleanUp() {
        BandwidthCapTest.removeAllRulesOfThisRun();
        DockerCli.cleanUp();
    }

    private void cap(String slug, String rate) {
        var q = tenants.quota(slug).asInput();
        tenants.setQuota(StorageFixtures.TEST, slug, new QuotaInput(q.vms(), q.vcpus(), q.memory(), q.buckets(), q.storageSoft(),
                q.storageHard(), q.accessKeys(), q.containerCpus(), "1G", "0", "0", rate, q.disk()));
    }

    private MinioClient ready(String slug) throws Exception {
        long id = storage.activate(StorageFixtures.TEST, slug).instance().id();
        reconciler.kick(id).join();
        assertEquals("READY", storage.of(slug).status(), () -> storage.of(slug).lastError());
        MinioClient s3 = StorageFixtures.s3(directory.readyInstance(tenants.idOf(slug)).orElseThrow());
        if (!s3.bucketExists(BucketExistsArgs.builder().bucket("bench").build())) {
            s3.makeBucket(MakeBucketArgs.builder().bucket("bench").build());
        }
        return s3;
    }

    record Pair(double put, double get) {
    }

    static Pair putGet(MinioClient s3, String key) throws Exception {
        double put = BandwidthCapTest.put(s3, "bench", key, SIZE);
        double get = BandwidthCapTest.get(s3, "bench", key);
        return new Pair(put, get);
    }

    static double median(List<Double> xs) {
        var s = new ArrayList<>(xs);
        s.sort(null);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    static double round(double x) {
        return Math.round(x * 10) / 10.0;
    }

    @Test
    void bandwidth() throws Exception {
        StorageFixtures.localDockerHost(hosts);
        tenants.ensureTenants(List.of("acme", "globex"));
        var acmeBefore = tenants.quota("acme").asInput();
        var globexBefore = tenants.quota("globex").asInput();
        var result = new LinkedHashMap<String, Object>();
        result.put("loadAverageBefore", Files.readString(Path.of("/proc/loadavg")).strip());
        result.put("objectMiB", SIZE / MIB);
        try {
            cap("acme", "20 MiB/s");
            cap("globex", "unlimited");
            MinioClient acme = ready("acme");
            MinioClient globex = ready("globex");

            // 1. globex alone
            var alonePut = new ArrayList<Double>();
            var aloneGet = new ArrayList<Double>();
            for (int i = 0; i < ROUNDS; i++) {
                Pair p = putGet(globex, "alone-" + i);
                alonePut.add(p.put());
                aloneGet.add(p.get());
            }
            // 2. acme capped, alone
            Pair capped = putGet(acme, "capped");
            // 3. globex while acme transfers (a PUT then a GET of acme run the whole time)
            var pool = Executors.newFixedThreadPool(1);
            CompletableFuture<Pair> acmeBusy = CompletableFuture.supplyAsync(() -> {
                try {
                    return putGet(acme, "busy");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            var withPut = new ArrayList<Double>();
            var withGet = new ArrayList<Double>();
            for (int i = 0; i < ROUNDS && !acmeBusy.isDone(); i++) {
                Pair p = putGet(globex, "with-" + i);
                if (!acmeBusy.isDone()) { // counts only while acme was still transferring
                    withPut.add(p.put());
                    withGet.add(p.get());
                }
            }
            Pair acmeDuring = acmeBusy.join();
            pool.shutdown();

            // 4. the cap changed during a download
            var change = capChange(acme);

            var acmeJson = new LinkedHashMap<String, Object>();
            acmeJson.put("capMiBps", 20);
            acmeJson.put("putMiBps", round(capped.put()));
            acmeJson.put("getMiBps", round(capped.get()));
            acmeJson.put("putVsCap", round(capped.put() / 20 * 100) / 100);
            acmeJson.put("getVsCap", round(capped.get() / 20 * 100) / 100);
            acmeJson.put("withinTenPercent", Math.abs(capped.put() / 20 - 1) <= 0.1 && Math.abs(capped.get() / 20 - 1) <= 0.1);
            acmeJson.put("duringGlobexPutMiBps", round(acmeDuring.put()));
            acmeJson.put("duringGlobexGetMiBps", round(acmeDuring.get()));
            result.put("acme", acmeJson);
            var globexJson = new LinkedHashMap<String, Object>();
            globexJson.put("aloneSamplesPut", alonePut.stream().map(BandwidthBenchmark::round).toList());
            globexJson.put("aloneSamplesGet", aloneGet.stream().map(BandwidthBenchmark::round).toList());
            globexJson.put("withAcmeSamplesPut", withPut.stream().map(BandwidthBenchmark::round).toList());
            globexJson.put("withAcmeSamplesGet", withGet.stream().map(BandwidthBenchmark::round).toList());
            if (!withPut.isEmpty()) {
                double putRatio = median(withPut) / median(alonePut);
                double getRatio = median(withGet) / median(aloneGet);
                globexJson.put("putMedianRatioWithVsAlone", round(putRatio * 100) / 100);
                globexJson.put("getMedianRatioWithVsAlone", round(getRatio * 100) / 100);
                globexJson.put("dropAtMostTenPercent", putRatio >= 0.9 && getRatio >= 0.9);
            }
            result.put("globex", globexJson);
            result.put("capChange", change);
            result.put("io", io());
        } finally {
            result.put("loadAverageAfter", Files.readString(Path.of("/proc/loadavg")).strip());
            StorageFixtures.removeInstances(storage, reconciler, "acme", "globex");
            tenants.setQuota(StorageFixtures.TEST, "acme", acmeBefore);
            tenants.setQuota(StorageFixtures.TEST, "globex", globexBefore);
            Path out = Path.of("target/bench/bandwidth.json");
            Files.createDirectories(out.getParent());
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), result);
            System.out.println(Files.readString(out));
        }
    }

    /** A 256 MiB GET at 20 MiB/s; 5 s in, the quota says 40 MiB/s. MiB per one-second bucket of the stream. */
    private Map<String, Object> capChange(MinioClient acme) throws Exception {
        String container = InstanceSpec.containerName(DockerCli.TEST_SCOPE, "acme");
        String startedBefore = DockerCli.run("inspect", "--format", "{{.State.StartedAt}}", container);
        var buckets = new ArrayList<Double>();
        long[] changeAt = {0, 0};
        var changer = CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(5_000);
                changeAt[0] = System.nanoTime();
                cap("acme", "40 MiB/s");
                // the quota change kicks the instance's reconcile; wait for it as the page's polling would
                reconciler.kick(storage.of("acme").id()).join();
                changeAt[1] = System.nanoTime();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long start = System.nanoTime();
        long bucketStart = start;
        long inBucket = 0;
        byte[] buf = new byte[1 << 16];
        try (InputStream in = acme.getObject(GetObjectArgs.builder().bucket("bench").object("capped").build())) {
            for (int r; (r = in.read(buf)) > 0; ) {
                inBucket += r;
                long now = System.nanoTime();
                if (now - bucketStart >= 1_000_000_000L) {
                    buckets.add(round(inBucket / (double) MIB / ((now - bucketStart) / 1e9)));
                    bucketStart = now;
                    inBucket = 0;
                }
            }
        }
        changer.join();
        String startedAfter = DockerCli.run("inspect", "--format", "{{.State.StartedAt}}", container);
        var m = new LinkedHashMap<String, Object>();
        m.put("from", "20 MiB/s");
        m.put("to", "40 MiB/s");
        m.put("quotaChangeAtSecond", round((changeAt[0] - start) / 1e9));
        m.put("newRateInKernelAfterSeconds", round((changeAt[1] - changeAt[0]) / 1e9));
        m.put("miBpsPerSecond", buckets);
        m.put("containerStartedAtBefore", startedBefore);
        m.put("containerStartedAtAfter", startedAfter);
        m.put("restarted", !startedBefore.equals(startedAfter));
        return m;
    }

    /**
     * cgroup v1: what a 10 MiB/s write rate bounds. A container (the helper image: it has dd) with the rate on the
     * engine's device writes 256 MiB buffered, then direct; the dirty and writeback bytes its memory cgroup holds are
     * sampled every 100 ms from the host. Two memory limits show what bounds buffered writes instead.
     */
    private Map<String, Object> io() throws Exception {
        var m = new LinkedHashMap<String, Object>();
        String root = DockerCli.run("info", "--format", "{{.DockerRootDir}}");
        String device = DockerRuntime.LocalDevices.deviceOf(root);
        m.put("cgroupVersion", DockerCli.run("info", "--format", "{{.CgroupVersion}}"));
        m.put("device", device);
        m.put("writeRateLimitMiBps", 10);
        for (String memory : List.of("128m", "512m")) {
            for (String mode : List.of("buffered", "direct")) {
                String flag = mode.equals("direct") ? "oflag=direct" : "conv=notrunc"; // buffered: into the page cache, no fsync
                String name = DockerCli.TEST_SCOPE + "-io-bench";
                DockerCli.run("rm", "-f", name);
                String volume = DockerCli.TEST_SCOPE + "-io-bench";
                DockerCli.run("volume", "create", "--label", "berth.scope=" + DockerCli.TEST_SCOPE, volume);
                long t = System.nanoTime();
                String id = DockerCli.run("run", "-d", "--name", name, "--label", "berth.scope=" + DockerCli.TEST_SCOPE,
                        "--memory", memory, "--memory-swap", memory, "--device-write-bps", device + ":10mb", "-v", volume + ":/data",
                        BandwidthCapTest.tcImage(), "dd", "if=/dev/zero", "of=/data/f", "bs=1M", "count=" + IO_MIB, flag);
                Path stat = Path.of("/sys/fs/cgroup/memory/docker", id, "memory.stat");
                long peakDirty = 0;
                while (true) {
                    String state = DockerCli.run("inspect", "--format", "{{.State.Running}}", name);
                    if (Files.exists(stat)) {
                        long dirty = 0;
                        for (String line : Files.readAllLines(stat)) {
                            if (line.startsWith("dirty ") || line.startsWith("writeback ")) {
                                dirty += Long.parseLong(line.split(" ")[1]);
                            }
                        }
                        peakDirty = Math.max(peakDirty, dirty);
                    }
                    if (!state.equals("true")) {
                        break;
                    }
                    Thread.sleep(100);
                }
                double seconds = (System.nanoTime() - t) / 1e9;
                String log = DockerCli.run("logs", name);
                DockerCli.run("rm", "-f", name);
                DockerCli.run("volume", "rm", "-f", volume);
                var r = new LinkedHashMap<String, Object>();
                r.put("seconds", round(seconds));
                r.put("miBps", round(IO_MIB / seconds));
                r.put("peakDirtyAndWritebackMiB", round(peakDirty / (double) MIB));
                r.put("dd", log.lines().reduce((a, b) -> b).orElse(""));
                m.put(mode + "-memory-" + memory, r);
            }
        }
        return m;
    }
}
