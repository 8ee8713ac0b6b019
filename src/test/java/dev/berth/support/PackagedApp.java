package dev.berth.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Helpers for integration tests (failsafe, after {@code package}) that run the packaged portal as a real process or
 * container: free loopback ports, HTTP on 127.0.0.1 without redirects, Keycloak tokens, Prometheus text, waiting.
 */
public final class PackagedApp {
    public static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    public static final ObjectMapper JSON = new ObjectMapper();

    private PackagedApp() {
    }

    public static String oidcUrl() {
        String url = System.getenv("BERTH_OIDC_URL");
        return url == null || url.isBlank() ? "http://127.0.0.1:8180/realms/berth" : url;
    }

    /**
     * The environment of a quiet packaged portal on an embedded H2 database in {@code dataDir}: no scheduled probes,
     * sampling, reconciling or usage passes, plain log lines. Development mode is not set: callers that use the
     * development realm's public client secret add it.
     */
    public static Map<String, String> quietEmbedded(Path dataDir) {
        Map<String, String> env = new java.util.HashMap<>();
        env.put("BERTH_DATA_DIR", dataDir.toString());
        env.put("BERTH_OIDC_URL", oidcUrl());
        env.put("BERTH_PROBE_INTERVAL", "off");
        env.put("BERTH_STATS_INTERVAL", "off");
        env.put("BERTH_STORAGE_RECONCILE_INTERVAL", "off");
        env.put("BERTH_STORAGE_USAGE_INTERVAL", "off");
        env.put("BERTH_LOG_JSON", "false");
        return env;
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static HttpResponse<String> get(String url, String token) {
        return send(request(url, token).GET().build());
    }

    public static HttpResponse<String> post(String url, String token, Map<String, Object> json) {
        try {
            return send(request(url, token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(json))).build());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static HttpRequest.Builder request(String url, String token) {
        var b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    public static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(request.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** 200 from the URL, or null while nothing answers (connection refused, reset). */
    public static Integer statusOrNull(String url) {
        try {
            return HTTP.send(request(url, null).timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** A token from the development realm (direct grant on the portal's client, as the @QuarkusTest support does). */
    public static String token(DemoUser user) {
        String body = "grant_type=password&client_id=berth-portal&client_secret=berth-dev-secret-do-not-use-in-production"
                + "&scope=openid&username=" + URLEncoder.encode(user.username(), StandardCharsets.UTF_8)
                + "&password=" + URLEncoder.encode(user.password(), StandardCharsets.UTF_8);
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(oidcUrl() + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("no token for " + user.username() + ": " + r.statusCode() + " " + r.body());
        }
        return json(r.body()).path("access_token").asText();
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + text, e);
        }
    }

    /** Sum of every sample of a Prometheus metric whose labels contain all of {@code labels} ("lease=\"host-probes\""). */
    public static double metric(String prometheusText, String name, String... labels) {
        double sum = 0;
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})?\\s+(\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(prometheusText);
        outer:
        while (m.find()) {
            String l = m.group(1) == null ? "" : m.group(1);
            for (String want : labels) {
                if (!l.contains(want)) {
                    continue outer;
                }
            }
            sum += Double.parseDouble(m.group(2));
        }
        return sum;
    }

    /** Waits until the condition holds; fails after {@code limit} (a generous bound, not a timing assertion). */
    public static void await(String what, Duration limit, BooleanSupplier condition) {
        await(what, limit, Duration.ofMillis(500), condition);
    }

    /** Asks {@code condition} every {@code every} until it holds; fails after {@code limit} (a hang guard, not a measurement). */
    public static void await(String what, Duration limit, Duration every, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting for " + what + " after " + limit.toSeconds() + "s");
            }
            sleep(every);
        }
    }

    public static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A portal started from a packaged fast-jar with its own environment; output to a log file. */
    public static final class Process implements AutoCloseable {
        public final String name;
        public final int port;
        public final Path log;
        private final java.lang.Process process;

        public Process(String name, Path appDir, Path logDir, Map<String, String> env) throws IOException {
            this.name = name;
            this.port = freePort();
            Files.createDirectories(logDir);
            this.log = logDir.resolve(name + ".log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx384m",
                    "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port, "-jar",
                    appDir.resolve("quarkus-run.jar").toString()));
            var pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            this.process = pb.start();
        }

        public String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }

        public boolean alive() {
            return process.isAlive();
        }

        public long pid() {
            return process.pid();
        }

        /** Resident set size in bytes (VmRSS of /proc/pid/status). */
        public long rssBytes() {
            try {
                for (String l : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                    if (l.startsWith("VmRSS:")) {
                        return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                    }
                }
            } catch (IOException e) {
                // gone
            }
            return -1;
        }

        public void awaitReady(Duration limit) {
            await(name + " ready on port " + port + " (log: " + log + ")", limit, () -> {
                if (!process.isAlive()) {
                    throw new AssertionError(name + " exited with " + process.exitValue() + "; log: " + tail());
                }
                Integer s = statusOrNull(url("/q/health/ready"));
                return s != null && s == 200;
            });
        }

        /** The exit code once the process has ended by itself, or null if it still runs after {@code limit}. */
        public Integer exitCode(Duration limit) {
            try {
                return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        public String metrics() {
            return get(url("/q/metrics"), null).body();
        }

        /** SIGKILL: the process dies at once, as in a crash or an OOM kill; nothing of it runs afterwards. */
        public void kill() {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** SIGTERM, so the portal shuts down as Kubernetes would stop it (leases released). */
        public void stop() {
            process.destroy();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        public String tail() {
            try {
                List<String> lines = Files.readAllLines(log);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                stop();
            }
        }
    }
}
