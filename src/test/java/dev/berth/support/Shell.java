package dev.berth.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a snippet with sh, as a person pastes it into a root shell; its own HOME, no AWS_CA_BUNDLE (rclone fails with it). */
public final class Shell {
    public record Result(int exit, String output) {
    }

    private Shell() {
    }

    public static Result run(Path home, String script) throws IOException, InterruptedException {
        return run(home, script, Map.of());
    }

    public static Result run(Path home, String script, Map<String, String> env) throws IOException, InterruptedException {
        Path log = Files.createTempFile("berth-shell", ".log");
        var pb = new ProcessBuilder("sh", "-ec", script).redirectErrorStream(true).redirectOutput(log.toFile());
        environment(pb, home, env);
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("snippet did not finish in 120 s: " + script);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        return new Result(p.exitValue(), out);
    }

    /** Starts a long-running command (a mount in the foreground) with its output in {@code log}. */
    public static Process start(Path home, String command, Path log) throws IOException {
        var pb = new ProcessBuilder("sh", "-c", "exec " + command).redirectErrorStream(true).redirectOutput(log.toFile());
        environment(pb, home, Map.of());
        return pb.start();
    }

    private static void environment(ProcessBuilder pb, Path home, Map<String, String> env) {
        var e = pb.environment();
        e.remove("AWS_CA_BUNDLE");
        if (home != null) {
            // pyenv shims (the aws command here) find their root through HOME unless told
            e.putIfAbsent("PYENV_ROOT", System.getProperty("user.home") + "/.pyenv");
            e.put("HOME", home.toString());
        }
        String mc = System.getenv("BERTH_MC_BIN");
        if (mc != null) {
            e.put("PATH", Path.of(mc).getParent() + ":" + e.getOrDefault("PATH", "/usr/bin:/bin"));
        }
        e.putAll(env);
    }

    /** Whether something is mounted at {@code dir} (from /proc/self/mounts). */
    public static boolean mounted(Path dir) throws IOException {
        String target = " " + dir.toAbsolutePath() + " ";
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream().anyMatch(l -> l.contains(target));
    }

    /** Waits until {@code dir} is a mount point (a FUSE daemon may return before the kernel shows it). */
    public static void awaitMounted(Path dir, Process orNull, Path log) throws IOException, InterruptedException {
        for (int i = 0; i < 600; i++) {
            if (mounted(dir)) {
                return;
            }
            if (orNull != null && !orNull.isAlive()) {
                break;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(dir + " was not mounted" + (log == null ? "" : ": " + Files.readString(log)));
    }

    /** fusermount -u, lazily if the mount is busy; for finally blocks. */
    public static void unmount(Path dir) {
        try {
            if (!mounted(dir)) {
                return;
            }
            if (new ProcessBuilder("fusermount", "-u", dir.toString()).inheritIO().start().waitFor() != 0) {
                new ProcessBuilder("fusermount", "-uz", dir.toString()).inheritIO().start().waitFor();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
