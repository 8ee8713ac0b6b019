package dev.berth.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.PackagedApp;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * How fast the packaged portal starts, with the JDK's AOT cache ({@code -XX:AOTCache=app.aot}, trained by
 * {@code ./berth run}'s training run) and without it, in the same run, interleaved: from process start to the first
 * {@code 200} of {@code /q/health/ready}, and the resident set size then; a third variant starts with the cache and the
 * JVM options {@code ./berth run} gives the development portal ({@code BERTH_RUN_JAVA_OPTS}). Each variant keeps its own H2 database
 * (migrated by one discarded warm-up start), as a warm {@code ./berth run} does. Phases from the no-cache log lines:
 * JVM and class loading up to Quarkus' first line, OIDC discovery, Flyway, the rest (Hibernate, REST, scheduler).
 *
 * <p>Needs target/quarkus-app packaged as aot-jar with app.aot beside it (./berth run, or ./berth bench
 * StartupBenchmark, which package and train first). The cached variant runs with {@code -XX:AOTMode=on}: a cache the
 * JDK cannot use fails the start instead of quietly measuring nothing. Results in target/bench/startup.json.
 */
class StartupBenchmark {
    static final int RUNS = 5;
    static final Path APP = Path.of("target", "quarkus-app").toAbsolutePath();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** The JVM options ./berth run starts the development portal with, as the launcher exports them (./berth env). */
    static final List<String> RUN_JAVA_OPTS = java.util.Arrays.stream(java.util.Objects.requireNonNull(
            System.getenv("BERTH_RUN_JAVA_OPTS"), "BERTH_RUN_JAVA_OPTS is unset: run ./berth bench StartupBenchmark, or eval \"$(./berth env)\" first")
            .trim().split("\\s+")).filter(o -> !o.isEmpty()).toList();
    static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("HH:mm:ss,SSS");

    record Start(long readyMillis, long rssKiB, double quarkusSeconds, Map<String, Long> phasesMillis) {
    }

    @Test
    void startWithAndWithoutTheAotCache() throws Exception {
        assertTrue(Files.isRegularFile(APP.resolve("app.aot")), "no " + APP.resolve("app.aot") + ": run ./berth run or ./berth bench StartupBenchmark first");
        Path bench = Path.of("target", "bench").toAbsolutePath();
        Files.createDirectories(bench);
        Path aotData = Files.createTempDirectory("berth-startup-aot");
        Path plainData = Files.createTempDirectory("berth-startup-plain");
        double loadBefore = loadAverage();
        Path devData = Files.createTempDirectory("berth-startup-dev");
        var aot = new ArrayList<Start>();
        var plain = new ArrayList<Start>();
        var dev = new ArrayList<Start>();
        try {
            start(true, List.of(), aotData, bench); // warm-up: migrates the database, fills the page cache; not counted
            start(false, List.of(), plainData, bench);
            start(true, RUN_JAVA_OPTS, devData, bench);
            for (int i = 0; i < RUNS; i++) {
                aot.add(start(true, List.of(), aotData, bench));
                plain.add(start(false, List.of(), plainData, bench));
                dev.add(start(true, RUN_JAVA_OPTS, devData, bench));
            }
        } finally {
            for (Path dir : List.of(aotData, plainData, devData)) {
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
        double loadAfter = loadAverage();
        String json = String.format(Locale.ROOT, """
                {"benchmark": "startup", "runs_each": %d, "load_average_before": %.2f, "load_average_after": %.2f, "cpus": %d,
                 "java": "%s",
                 "with_aot_cache": {"ready_ms_median": %d, "ready_ms": %s, "rss_mib_median": %d, "quarkus_started_in_s": %s},
                 "with_aot_cache_as_berth_run": {"jvm_options": "%s", "ready_ms_median": %d, "ready_ms": %s, "rss_mib_median": %d, "quarkus_started_in_s": %s},
                 "without_cache":  {"ready_ms_median": %d, "ready_ms": %s, "rss_mib_median": %d, "quarkus_started_in_s": %s,
                                    "phases_ms_median": %s},
                 "ratio_ready_with_to_without": %.2f}
                """, RUNS, loadBefore, loadAfter, Runtime.getRuntime().availableProcessors(), System.getProperty("java.runtime.version"),
                median(aot, Start::readyMillis), list(aot, Start::readyMillis), median(aot, Start::rssKiB) / 1024,
                aot.stream().map(s -> String.valueOf(s.quarkusSeconds())).toList(),
                String.join(" ", RUN_JAVA_OPTS), median(dev, Start::readyMillis), list(dev, Start::readyMillis),
                median(dev, Start::rssKiB) / 1024, dev.stream().map(s -> String.valueOf(s.quarkusSeconds())).toList(),
                median(plain, Start::readyMillis), list(plain, Start::readyMillis), median(plain, Start::rssKiB) / 1024,
                plain.stream().map(s -> String.valueOf(s.quarkusSeconds())).toList(), phases(plain),
                (double) median(aot, Start::readyMillis) / median(plain, Start::readyMillis));
        Files.writeString(bench.resolve("startup.json"), json);
        System.out.println("BENCHMARK startup: " + json);
    }

    static Start start(boolean withCache, List<String> jvmOptions, Path data, Path logDir) throws Exception {
        int port = PackagedApp.freePort();
        Path log = logDir.resolve("startup-" + (withCache ? "aot" : "plain") + (jvmOptions.isEmpty() ? "" : "-run") + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java));
        if (withCache) {
            cmd.addAll(List.of("-XX:AOTCache=app.aot", "-XX:AOTMode=on"));
        }
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port, "-jar", "quarkus-run.jar"));
        var pb = new ProcessBuilder(cmd).directory(APP.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(PackagedApp.quietEmbedded(data));
        pb.environment().put("BERTH_DEVELOPMENT_MODE", "true");
        pb.environment().put("BERTH_DEMO", "false");
        pb.environment().put("BERTH_STORAGE_SCOPE", "berth-bench-startup");
        long t0 = System.nanoTime();
        LocalTime wall0 = LocalTime.now(ZoneOffset.systemDefault());
        Process p = pb.start();
        try {
            URI ready = URI.create("http://127.0.0.1:" + port + "/q/health/ready");
            long deadline = t0 + TimeUnit.MINUTES.toNanos(3);
            while (true) {
                assertTrue(p.isAlive(), "the portal exited during start: " + Files.readString(log));
                assertTrue(System.nanoTime() < deadline, "not ready within 3 minutes: " + log);
                try {
                    if (HTTP.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        break;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                Thread.sleep(10);
            }
            long readyMillis = (System.nanoTime() - t0) / 1_000_000;
            long rss = rssKiB(p.pid());
            String text = Files.readString(log);
            return new Start(readyMillis, rss, startedIn(text), phases(text, wall0));
        } finally {
            p.destroy(); // SIGTERM: a clean shutdown, the database closed
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    static final Pattern LINE_TIME = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d,\\d\\d\\d) ", Pattern.MULTILINE);

    /** Milliseconds of each phase, from the log's first line of each (log times are the process's local time). */
    static Map<String, Long> phases(String log, LocalTime wall0) {
        var marks = new LinkedHashMap<String, LocalTime>();
        marks.put("jvm_and_classes", wall0);
        mark(marks, log, "oidc_discovery", "OidcCommonUtils");
        mark(marks, log, "flyway", "FlywayExecutor");
        mark(marks, log, "hibernate_rest_and_rest", "Successfully (applied|validated)");
        mark(marks, log, "end", "started in");
        var result = new LinkedHashMap<String, Long>();
        String previous = null;
        for (var e : marks.entrySet()) {
            if (previous != null) {
                long ms = Duration.between(marks.get(previous), e.getValue()).toMillis();
                result.put(previous, ms);
            }
            previous = e.getKey();
        }
        return result;
    }

    private static void mark(Map<String, LocalTime> marks, String log, String name, String regex) {
        Matcher m = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d,\\d\\d\\d) .*" + regex, Pattern.MULTILINE).matcher(log);
        if (m.find()) {
            marks.put(name, LocalTime.parse(m.group(1), LOG_TIME));
        }
    }

    static double startedIn(String log) {
        Matcher m = Pattern.compile("started in (\\d+\\.\\d+)s").matcher(log);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    static double loadAverage() throws IOException {
        return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    }

    static long median(List<Start> starts, java.util.function.ToLongFunction<Start> f) {
        long[] v = starts.stream().mapToLong(f).sorted().toArray();
        return v[v.length / 2];
    }

    static String list(List<Start> starts, java.util.function.ToLongFunction<Start> f) {
        return starts.stream().map(s -> String.valueOf(f.applyAsLong(s))).collect(Collectors.joining(", ", "[", "]"));
    }

    static String phases(List<Start> starts) {
        var keys = starts.get(0).phasesMillis().keySet();
        return keys.stream().map(k -> "\"" + k + "\": " + starts.stream().mapToLong(s -> s.phasesMillis().getOrDefault(k, -1L))
                .sorted().toArray()[starts.size() / 2]).collect(Collectors.joining(", ", "{", "}"));
    }
}
