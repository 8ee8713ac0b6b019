package dev.berth.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second, real Docker engine of the test's own, serving {@code tcp://127.0.0.1:<port>} with {@code --tlsverify}
 * (a CA, a server certificate for IP 127.0.0.1 and a client certificate made with openssl per run) and a unix socket
 * the test itself uses. Everything is its own: data root, exec root (so its own containerd), pid file; no bridge, no
 * iptables; containers use host networking as on the shared engine. {@link #restart()} stops and starts only this
 * daemon (the shared one that other runs use is never touched). {@link #close()} removes its containers, stops it and
 * deletes its directory; a shutdown hook does the same if the JVM ends first.
 */
public final class PrivateDockerd implements AutoCloseable {
    private static final Duration START = Duration.ofSeconds(60);
    public final Path dir;
    public final int port;
    public final String caPem;
    public final String clientCertPem;
    public final String clientKeyPem;
    private final Path socket;
    private final Thread hook = new Thread(this::closeQuietly, "private-dockerd-cleanup");
    private java.lang.Process daemon;

    public PrivateDockerd() throws IOException, InterruptedException {
        // Short path: containerd's socket lives under the exec root and unix socket paths are limited to 108 bytes.
        this.dir = Files.createTempDirectory(Path.of("/tmp"), "bd-");
        this.port = PackagedApp.freePort();
        this.socket = dir.resolve("docker.sock");
        certificates();
        this.caPem = Files.readString(dir.resolve("ca.pem"));
        this.clientCertPem = Files.readString(dir.resolve("client.pem"));
        this.clientKeyPem = Files.readString(dir.resolve("client-key.pem"));
        Runtime.getRuntime().addShutdownHook(hook);
        start();
    }

    public String tcpUri() {
        return "tcp://127.0.0.1:" + port;
    }

    /** CA, server (IP 127.0.0.1, serverAuth) and client (clientAuth) certificates, EC P-256, PKCS#8 keys. */
    private void certificates() throws IOException, InterruptedException {
        sh("""
                openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=berth-test-dockerd-ca
                openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1
                printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext
                openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days 2 -extfile server.ext
                openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout client-key.pem -out client.csr -subj /CN=berth-test-client
                printf 'extendedKeyUsage=clientAuth\\n' > client.ext
                openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out client.pem -days 2 -extfile client.ext
                """);
    }

    /** Starts the daemon and waits until its socket answers. Idempotent. */
    public synchronized void start() throws IOException {
        if (daemon != null && daemon.isAlive()) {
            return;
        }
        Files.createDirectories(dir.resolve("data"));
        Files.createDirectories(dir.resolve("exec"));
        var cmd = List.of("dockerd", "--data-root", dir.resolve("data").toString(), "--exec-root", dir.resolve("exec").toString(),
                "--pidfile", dir.resolve("dockerd.pid").toString(), "-H", "unix://" + socket, "-H", tcpUri(),
                "--tlsverify", "--tlscacert", dir.resolve("ca.pem").toString(), "--tlscert", dir.resolve("server.pem").toString(),
                "--tlskey", dir.resolve("server-key.pem").toString(), "--bridge=none", "--iptables=false", "--ip6tables=false");
        daemon = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("dockerd.log").toFile())).start();
        long deadline = System.nanoTime() + START.toNanos();
        while (!answers()) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("private dockerd did not start; log: " + log());
            }
            PackagedApp.sleep(Duration.ofMillis(200));
        }
    }

    /** SIGTERM, as an operator's restart or a package upgrade stops it: running containers are stopped with it. */
    public synchronized void stop() {
        if (daemon == null) {
            return;
        }
        daemon.destroy();
        try {
            if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
                daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void restart() throws IOException {
        stop();
        start();
    }

    public boolean answers() {
        try {
            return cliResult("info", "--format", "{{.ServerVersion}}").exit == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Copies an image from the shared engine (nothing can be pulled here). */
    public void loadImage(String image) throws IOException, InterruptedException {
        sh("/usr/bin/docker save " + image + " | /usr/bin/docker -H unix://" + socket + " load");
    }

    /** The docker CLI on this daemon's unix socket; fails on a non-zero exit. */
    public String cli(String... args) {
        try {
            Result r = cliResult(args);
            if (r.exit != 0) {
                throw new IllegalStateException("docker " + String.join(" ", args) + ": " + r.output);
            }
            return r.output.strip();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public List<String> lines(String... args) {
        String out = cli(args);
        return out.isBlank() ? List.of() : List.of(out.split("\\R"));
    }

    private record Result(int exit, String output) {
    }

    private Result cliResult(String... args) throws IOException {
        var cmd = new ArrayList<>(List.of("/usr/bin/docker", "-H", "unix://" + socket));
        cmd.addAll(Arrays.asList(args));
        java.lang.Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out");
            }
            return new Result(p.exitValue(), out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    public String log() {
        try {
            List<String> all = Files.readAllLines(dir.resolve("dockerd.log"));
            return String.join("\n", all.subList(Math.max(0, all.size() - 20), all.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private void sh(String script) throws IOException, InterruptedException {
        java.lang.Process p = new ProcessBuilder("sh", "-ec", script).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("failed: " + script + "\n" + out);
        }
    }

    private void closeQuietly() {
        try {
            if (daemon != null && daemon.isAlive()) {
                cliResult("ps", "-aq").output.lines().filter(l -> !l.isBlank()).forEach(c -> {
                    try {
                        cliResult("rm", "-f", c.strip());
                    } catch (IOException e) {
                        // best effort
                    }
                });
            }
            stop();
            // The daemon unmounts its layers on shutdown but leaves its network namespace file mounted.
            List<String> mounts = Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> l.split(" ")[1])
                    .filter(m -> m.startsWith(dir + "/")).sorted(java.util.Comparator.reverseOrder()).toList();
            for (String m : mounts) {
                new ProcessBuilder("umount", "-l", m).start().waitFor(30, TimeUnit.SECONDS);
            }
            new ProcessBuilder("rm", "-rf", "--one-file-system", dir.toString()).start().waitFor(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort: the directory is under /tmp
        }
    }

    @Override
    public void close() {
        closeQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }
}
