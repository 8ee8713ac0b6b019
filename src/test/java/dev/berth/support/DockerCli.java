package dev.berth.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The local engine through Debian's docker CLI: how a test looks at what Berth did, independently of Berth's
 * own adapter. Clean-up touches only what carries the test scope's label.
 */
public final class DockerCli {
    /** The tests' storage scope (%test.berth.storage.scope): a concurrent run elsewhere sets its own. */
    public static final String TEST_SCOPE = System.getenv().getOrDefault("BERTH_TEST_STORAGE_SCOPE", "berth-test");

    private DockerCli() {
    }

    public static String run(String... args) {
        var command = new ArrayList<String>();
        command.add(System.getProperty("berth.docker", "/usr/bin/docker"));
        command.addAll(Arrays.asList(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("docker " + String.join(" ", args) + " failed: " + out);
            }
            return out.strip();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static List<String> lines(String... args) {
        String out = run(args);
        return out.isBlank() ? List.of() : List.of(out.split("\\R"));
    }

    /** Names of containers (running or not) with these label filters, e.g. "berth.tenant=acme". */
    public static List<String> containers(String... labels) {
        var args = new ArrayList<>(List.of("ps", "-a", "--format", "{{.Names}}", "--filter", "label=berth.scope=" + TEST_SCOPE));
        for (String l : labels) {
            args.add("--filter");
            args.add("label=" + l);
        }
        return lines(args.toArray(String[]::new));
    }

    public static boolean volumeExists(String name) {
        return lines("volume", "ls", "-q", "--filter", "name=^" + name + "$").contains(name);
    }

    /** Removes every container and volume of the test scope, and nothing else. */
    public static void cleanUp() {
        for (String c : lines("ps", "-aq", "--filter", "label=berth.scope=" + TEST_SCOPE)) {
            run("rm", "-f", c);
        }
        for (String v : lines("volume", "ls", "-q", "--filter", "label=berth.scope=" + TEST_SCOPE)) {
            run("volume", "rm", "-f", v);
        }
    }
}
