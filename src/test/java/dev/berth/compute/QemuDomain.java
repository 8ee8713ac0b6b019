package dev.berth.compute;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One real TCG QEMU domain on the local libvirtd for a test class, from the fixture {@code ./berth stack} builds
 * (see {@link RealQemuTest} for where kernel and initramfs come from). Named {@code berth-test-*}, with VNC on
 * 127.0.0.1 and no network interface; its kernel logs to the screen as well as to the serial console, so a VNC
 * viewer sees text. {@link #close()} destroys and undefines it.
 */
final class QemuDomain implements AutoCloseable {
    final String uri;
    final String name;
    final String uuid;
    private final Path dir;
    private final Path console;
    private boolean defined;

    private QemuDomain(String uri, Path dir, String name, String uuid) {
        this.uri = uri;
        this.dir = dir;
        this.console = dir.resolve("console.log");
        this.name = name;
        this.uuid = uuid;
    }

    static QemuDomain define(String prefix) throws Exception {
        String uri = RealQemuTest.env("BERTH_TEST_LIBVIRT_URI", "qemu:///system");
        Path cache = Path.of(RealQemuTest.env("BERTH_CACHE_DIR", System.getProperty("user.home") + "/.cache/berth"));
        Path kernel = RealQemuTest.fixture("BERTH_TEST_KERNEL", cache.resolve("vm/vmlinuz"), "kernel");
        Path initrd = RealQemuTest.fixture("BERTH_TEST_INITRD", cache.resolve("vm/initramfs.cpio.gz"), "initramfs");
        Path dir = Files.createTempDirectory("berth-qemu-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path k = Files.copy(kernel, dir.resolve("vmlinuz"), StandardCopyOption.REPLACE_EXISTING);
        Path i = Files.copy(initrd, dir.resolve("initrd.cpio.gz"), StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(k, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(i, PosixFilePermissions.fromString("rw-r--r--"));
        var d = new QemuDomain(uri, dir, "berth-test-" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8),
                UUID.randomUUID().toString());
        Virsh version = d.virsh(20, "version");
        if (version.rc() != 0) {
            fail("libvirtd does not answer on " + uri + ": " + version.out().strip() + "; " + RealQemuTest.STACK);
        }
        Path xml = dir.resolve(d.name + ".xml");
        // console=tty0 before ttyS0: the kernel writes to the screen too, /dev/console (the guest's "up" line) stays serial
        Files.writeString(xml, """
                <domain type='qemu'>
                  <name>%s</name>
                  <uuid>%s</uuid>
                  <memory unit='MiB'>128</memory>
                  <vcpu>1</vcpu>
                  <os>
                    <type arch='x86_64' machine='pc'>hvm</type>
                    <kernel>%s</kernel>
                    <initrd>%s</initrd>
                    <cmdline>console=tty0 console=ttyS0</cmdline>
                  </os>
                  <features><acpi/></features>
                  <on_poweroff>destroy</on_poweroff>
                  <on_reboot>restart</on_reboot>
                  <on_crash>destroy</on_crash>
                  <devices>
                    <serial type='pty'>
                      <log file='%s' append='off'/>
                      <target port='0'/>
                    </serial>
                    <console type='pty'><target type='serial' port='0'/></console>
                    <graphics type='vnc' listen='127.0.0.1' autoport='yes'/>
                    <video><model type='vga'/></video>
                  </devices>
                </domain>
                """.formatted(d.name, d.uuid, k, i, d.console));
        d.defined = true; // from here on, clean up: a define that timed out on our side may still complete
        Virsh define = d.virsh(30, "define", xml.toString());
        if (define.rc() != 0) {
            d.close();
            fail("virsh define " + d.name + " failed: " + define.out().strip());
        }
        return d;
    }

    boolean guestUp() {
        try {
            return Files.isReadable(console) && Files.readString(console, StandardCharsets.UTF_8).contains("berth-test-vm: up");
        } catch (IOException e) {
            return false;
        }
    }

    String consoleText() {
        try {
            return Files.isReadable(console) ? Files.readString(console, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    record Virsh(int rc, String out) {
    }

    Virsh virsh(long seconds, String... args) throws IOException, InterruptedException {
        var command = new ArrayList<>(List.of("virsh", "-q", "-c", uri));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Virsh(-1, "virsh " + String.join(" ", args) + " did not return within " + seconds + " s");
        }
        return new Virsh(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws Exception {
        try {
            if (defined) {
                virsh(30, "destroy", name); // fails harmlessly when it is shut off already
                Virsh undefine = virsh(30, "undefine", name);
                if (undefine.rc() != 0 && virsh(20, "domstate", name).rc() == 0) {
                    fail("could not undefine " + name + ": " + undefine.out().strip());
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
