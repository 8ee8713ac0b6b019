package dev.berth.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL cluster of the test's own (initdb into a temporary directory, its own port on 127.0.0.1, its own socket
 * directory), from the binaries the launcher installs: it can be stopped, restarted, dumped and restored without
 * touching the shared cluster other runs use. The role {@code berth} (password {@code berth}) owns the databases made
 * with {@link #createDatabase}. {@link #close()} stops it at once and deletes its directory.
 */
public final class PrivatePostgres implements AutoCloseable {
    public final Path dir;
    public final int port;
    private final Path bin;
    private final Thread hook = new Thread(this::closeQuietly, "private-postgres-cleanup");

    public PrivatePostgres() throws IOException, InterruptedException {
        this.bin = binaries();
        this.dir = Files.createTempDirectory(Path.of("/tmp"), "pg-");
        this.port = PackagedApp.freePort();
        run("chown", "postgres:postgres", dir.toString());
        asPostgres(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-A", "trust", "-U", "postgres", "-E", "UTF8");
        Runtime.getRuntime().addShutdownHook(hook);
        start();
        psql("postgres", "create role berth login password 'berth'");
    }

    /** The newest installed server version's bin directory. */
    private static Path binaries() throws IOException {
        try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                    .max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString())))
                    .map(v -> v.resolve("bin")).orElseThrow(() -> new IllegalStateException("no PostgreSQL server under /usr/lib/postgresql"));
        }
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public void start() throws IOException, InterruptedException {
        asPostgres(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l", dir.resolve("server.log").toString(),
                "-w", "-t", "60", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1", "start");
    }

    /** Fast shutdown: open sessions are ended, as a package upgrade or an operator's restart does. */
    public void stop() throws IOException, InterruptedException {
        asPostgres(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-w", "-t", "60", "-m", "fast", "stop");
    }

    public void createDatabase(String name) throws IOException, InterruptedException {
        psql("postgres", "create database " + name + " owner berth");
    }

    public String psql(String database, String sql) throws IOException, InterruptedException {
        return asPostgres(bin.resolve("psql").toString(), "-h", dir.toString(), "-p", String.valueOf(port), "-U", "postgres",
                "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql);
    }

    /** pg_dump in the custom format (what the README tells operators to run), as the berth role. */
    public void dump(String database, Path file) throws IOException, InterruptedException {
        asPostgres(bin.resolve("pg_dump").toString(), "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", "berth",
                "-Fc", "-f", file.toString(), database);
    }

    /** pg_restore into an existing empty database, owned by the berth role. */
    public void restore(Path file, String database) throws IOException, InterruptedException {
        asPostgres(bin.resolve("pg_restore").toString(), "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", "berth",
                "--no-owner", "--exit-on-error", "-d", database, file.toString());
    }

    public Path bin(String tool) {
        return bin.resolve(tool);
    }

    private String asPostgres(String... command) throws IOException, InterruptedException {
        var cmd = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        cmd.addAll(Arrays.asList(command));
        return run(cmd.toArray(String[]::new));
    }

    private static String run(String... command) throws IOException, InterruptedException {
        // Output to a file: pg_ctl's server keeps inherited pipes open, so reading a pipe would never end.
        Path out = Files.createTempFile("berth-pg", ".out");
        try {
            Files.setPosixFilePermissions(out, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
            java.lang.Process p = new ProcessBuilder(command).directory(Path.of("/tmp").toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(out, StandardCharsets.UTF_8));
            }
            return Files.readString(out, StandardCharsets.UTF_8).strip();
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private void closeQuietly() {
        try {
            asPostgres(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-w", "-t", "30", "-m", "immediate", "stop");
        } catch (Exception e) {
            // not running
        }
        try {
            run("rm", "-rf", "--one-file-system", dir.toString());
        } catch (Exception e) {
            // best effort: under /tmp
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
