package dev.berth.storage;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.storage.key.MountInstructions;
import dev.berth.support.DemoUser;
import dev.berth.support.S3;
import dev.berth.support.Shell;
import dev.berth.support.Storage;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The snippets Berth renders for a key, executed verbatim on this machine: s3fs (command and fstab line), rclone
 * (command and the systemd unit's ExecStart), mc and the AWS CLI. Only the paths the snippets choose
 * ({@code /etc/berth}, {@code /mnt/<bucket>}) move into a temporary directory. Every mount is checked both ways over
 * S3 and read by a non-root user (README, "Mount instructions").
 */
@QuarkusTest
class MountTest {
    @BeforeEach
    void quota() {
        as(DemoUser.ALICE).get("/api/v1/me").then().statusCode(200);
        Storage.quota("acme", "1 GiB", "2 GiB");
        Storage.ready("acme");
    }

    @AfterAll
    static void removeStorage() {
        Storage.remove("acme");
    }

    /** A key just created, with its snippets (the secret in them) and the place they run in. */
    record Case(String bucket, JsonPath created, Path root) {
        String snippet(String id) {
            String text = created.getString("mount.snippets.flatten().find { it.id == '" + id + "' }.text");
            return text.replace(MountInstructions.CONFIG_DIR, root + MountInstructions.CONFIG_DIR)
                    .replace("/mnt/" + bucket, mountPoint().toString());
        }

        Path mountPoint() {
            return root.resolve("mnt").resolve(bucket);
        }

        Path home() throws IOException {
            return Files.createDirectories(root.resolve("home"));
        }

        S3 s3() {
            return S3.as(created.getString("endpoint"), created.getString("key.accessKey"), created.getString("secretKey"));
        }

        Shell.Result run(String id) throws Exception {
            Shell.Result r = Shell.run(home(), snippet(id));
            assertEquals(0, r.exit(), id + " failed: " + r.output());
            return r;
        }
    }

    private final java.util.List<Path> roots = new java.util.ArrayList<>();

    /** The temporary /etc/berth and /mnt of each case (password files included) go once everything is unmounted. */
    @org.junit.jupiter.api.AfterEach
    void removeRoots() throws IOException {
        for (Path root : roots) {
            try (var files = Files.walk(root)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private Case newCase(String bucket, String mode) throws IOException {
        // like /mnt on a VM, the place the mount point lives in is open to everyone (a temp dir is not)
        Path root = Files.createTempDirectory("berth-mount-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        roots.add(root);
        return new Case(bucket, Storage.key(DemoUser.ALICE, bucket, mode), root);
    }

    @Test
    void s3fsSnippetsMountOnTheFirstTry() throws Exception {
        String bucket = unique("s3fs");
        Storage.bucket(DemoUser.ALICE, bucket);
        Case rw = newCase(bucket, "read-write");
        Path mp = rw.mountPoint();
        assertTrue(rw.snippet("s3fs-mount").contains("url=https://"), "the instance speaks TLS only");
        rw.run("s3fs-ca");
        rw.run("s3fs-passwd");
        Path passwd = rw.root().resolve("etc/berth/" + bucket + ".passwd-s3fs");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(passwd)));
        try {
            rw.run("s3fs-mount");
            Shell.awaitMounted(mp, null, null);
            bothWays(rw, "s3fs-command");
        } finally {
            Shell.unmount(mp);
        }

        // The fstab line, through mount(8) and the fuse helper, from a temporary fstab. A mount from fstab gets no
        // environment, so it needs the CA in the system store: the system-wide snippet runs as written, in a private
        // mount namespace whose /usr/local/share/ca-certificates and /etc/ssl/certs are copies (this machine's trust
        // store is shared with other work); the mount and the checks through it run in that namespace too.
        Path fstab = rw.root().resolve("fstab");
        Files.writeString(fstab, rw.snippet("s3fs-fstab") + "\n");
        rw.s3().put(bucket, "from-s3-s3fs-fstab.txt", "written through S3 for s3fs-fstab");
        Path seen = rw.root().resolve("seen-through-fstab.txt");
        String inNamespace = "mount -t tmpfs tmpfs /usr/local/share/ca-certificates\n"
                + "cp -a /etc/ssl/certs " + rw.root() + "/ssl-certs && mount --bind " + rw.root() + "/ssl-certs /etc/ssl/certs\n"
                + rw.snippet("s3fs-ca-system")
                + "mount -T " + fstab + " " + mp + "\n"
                + "for i in $(seq 1 150); do [ -f " + mp + "/from-s3-s3fs-fstab.txt ] && break; sleep 0.2; done\n"
                + "cat " + mp + "/from-s3-s3fs-fstab.txt > " + seen + "\n"
                + "printf 'written through s3fs-fstab' > " + mp + "/from-mount-s3fs-fstab.txt\n"
                + "setpriv --reuid=65534 --regid=65534 --clear-groups cat " + mp + "/from-s3-s3fs-fstab.txt >/dev/null\n"
                + "umount " + mp + "\n";
        Path script = rw.root().resolve("fstab-in-namespace.sh");
        Files.writeString(script, inNamespace);
        Shell.Result r = Shell.run(rw.home(), "unshare -m sh -e " + script);
        assertEquals(0, r.exit(), r.output());
        assertEquals("written through S3 for s3fs-fstab", Files.readString(seen));
        assertEquals("written through s3fs-fstab", rw.s3().get(bucket, "from-mount-s3fs-fstab.txt"));

        Case ro = newCase(bucket, "read-only");
        ro.run("s3fs-ca");
        ro.run("s3fs-passwd");
        try {
            ro.run("s3fs-mount");
            Shell.awaitMounted(ro.mountPoint(), null, null);
            assertEquals("written through s3fs-command", Files.readString(ro.mountPoint().resolve("from-mount-s3fs-command.txt")));
            assertThrows(IOException.class, () -> Files.writeString(ro.mountPoint().resolve("nope.txt"), "x"));
        } finally {
            Shell.unmount(ro.mountPoint());
        }
        assertEquals("AccessDenied", S3.outcome(() -> ro.s3().put(bucket, "nope.txt", "x")));
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + bucket + "?confirm=" + bucket).then().statusCode(204);
    }

    @Test
    void rcloneSnippetsMountOnTheFirstTry() throws Exception {
        String bucket = unique("rclone");
        Storage.bucket(DemoUser.ALICE, bucket);
        Case rw = newCase(bucket, "read-write");
        Path mp = rw.mountPoint();
        rw.run("rclone-ca");
        rw.run("rclone-config-file");
        try {
            rw.run("rclone-mount");
            Shell.awaitMounted(mp, null, null);
            bothWays(rw, "rclone-command");
        } finally {
            Shell.unmount(mp);
        }

        // the systemd unit's commands, as systemd would run them (in the foreground, Type=notify)
        String unit = rw.snippet("rclone-systemd");
        String pre = line(unit, "ExecStartPre=");
        String start = line(unit, "ExecStart=");
        assertEquals(0, Shell.run(rw.home(), pre).exit());
        Path log = rw.root().resolve("rclone-unit.log");
        Process service = Shell.start(rw.home(), start, log);
        try {
            Shell.awaitMounted(mp, service, log);
            bothWays(rw, "rclone-systemd");
        } finally {
            Shell.unmount(mp);
            if (!service.waitFor(30, TimeUnit.SECONDS)) {
                service.destroy();
            }
        }

        Case ro = newCase(bucket, "read-only");
        ro.run("rclone-ca");
        ro.run("rclone-config-file");
        try {
            ro.run("rclone-mount");
            Shell.awaitMounted(ro.mountPoint(), null, null);
            assertEquals("written through rclone-command", Files.readString(ro.mountPoint().resolve("from-mount-rclone-command.txt")));
            assertThrows(IOException.class, () -> Files.writeString(ro.mountPoint().resolve("nope.txt"), "x"));
        } finally {
            Shell.unmount(ro.mountPoint());
        }
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + bucket + "?confirm=" + bucket).then().statusCode(204);
    }

    @Test
    void mcAndAwsCliSnippetsWork() throws Exception {
        String bucket = unique("cli");
        Storage.bucket(DemoUser.ALICE, bucket);
        Case c = newCase(bucket, "read-only");
        Case writer = newCase(bucket, "read-write");
        writer.s3().put(bucket, "listed.txt", "x");

        c.run("mc-ca");
        c.run("mc-ca-install");
        c.run("mc-alias");
        Shell.Result ls = c.run("mc-use");
        assertTrue(ls.output().contains("listed.txt"), ls.output());

        c.run("awscli-ca");
        Path aws = Files.createDirectories(c.home().resolve(".aws"));
        Files.writeString(aws.resolve("credentials"), c.snippet("awscli-credentials"));
        Files.writeString(aws.resolve("config"), c.snippet("awscli-config"));
        Shell.Result awsLs = c.run("awscli-use");
        assertTrue(awsLs.output().contains("listed.txt"), awsLs.output());
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + bucket + "?confirm=" + bucket).then().statusCode(204);
    }

    /**
     * A file put through S3 reads through the mount; a file written through the mount reads through S3; a user other
     * than root reads through the mount. Each mount ({@code how}) gets files of its own, so none passes on another's.
     */
    private static void bothWays(Case c, String how) throws Exception {
        Path mp = c.mountPoint();
        S3 s3 = c.s3();
        String fromS3 = "from-s3-" + how + ".txt";
        String fromMount = "from-mount-" + how + ".txt";
        s3.put(c.bucket(), fromS3, "written through S3 for " + how);
        assertEquals("written through S3 for " + how, Files.readString(mp.resolve(fromS3)));
        Files.writeString(mp.resolve(fromMount), "written through " + how);
        // rclone uploads a closed file in the background (--vfs-cache-mode writes): wait until it is there
        String seen = null;
        for (int i = 0; i < 600 && seen == null; i++) {
            String outcome = S3.outcome(() -> s3.get(c.bucket(), fromMount));
            if (outcome.equals("OK")) {
                seen = s3.get(c.bucket(), fromMount);
            } else {
                Thread.sleep(100);
            }
        }
        assertEquals("written through " + how, seen);
        // allow_other with a umask that lets others read: a user other than root reads the file
        Shell.Result other = Shell.run(c.home(), "setpriv --reuid=65534 --regid=65534 --clear-groups cat " + mp.resolve(fromS3));
        assertEquals(0, other.exit(), other.output());
        assertEquals("written through S3 for " + how, other.output());
    }

    private static String line(String unit, String prefix) {
        return unit.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow().substring(prefix.length());
    }
}
