package dev.berth.compute;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Builds a cloud-init NoCloud seed: an ISO 9660 image labelled {@code cidata} holding user-data and meta-data, made by
 * Debian's genisoimage (a well-kept tool, rather than an ISO writer of our own). The files exist only for the moment
 * genisoimage reads them, in a directory only this process can read (in memory when /dev/shm exists).
 */
@ApplicationScoped
public class SeedImage {
    public byte[] build(String userData, String metaData) throws IOException {
        Path shm = Path.of("/dev/shm");
        Path dir = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "berth-seed-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
                : Files.createTempDirectory("berth-seed-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            Files.writeString(dir.resolve("user-data"), userData, StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("meta-data"), metaData, StandardCharsets.UTF_8);
            Path iso = dir.resolve("seed.iso");
            Process p = new ProcessBuilder(List.of("genisoimage", "-quiet", "-output", iso.toString(), "-volid", "cidata",
                    "-joliet", "-rock", dir.resolve("user-data").toString(), dir.resolve("meta-data").toString()))
                    .redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("genisoimage failed: " + out.strip());
            }
            return Files.readAllBytes(iso);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while building the seed", e);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
