package dev.berth.compute;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.berth.support.DemoUser;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.common.http.TestHTTPResource;
import jakarta.inject.Inject;
import java.net.URL;
import dev.berth.support.Browser;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

/**
 * Machines against a real QEMU domain on the local libvirtd ({@code qemu:///system}), started and stopped through
 * Berth's API. The guest is TCG ({@code type='qemu'}; /dev/kvm here does not boot a stock kernel): the newest
 * Debian kernel with the busybox initramfs that {@code ./berth stack} builds (step "Test VM image (cached)"),
 * whose /init prints {@code berth-test-vm: up} on the serial console once busybox acpid listens for the ACPI
 * power button, then idles. No network interface, VNC on 127.0.0.1 only.
 *
 * <p>The fixture comes from {@code ./berth stack}: libvirtd answering on {@code BERTH_TEST_LIBVIRT_URI} (default
 * {@code qemu:///system}), the kernel and initramfs from {@code BERTH_TEST_KERNEL} / {@code BERTH_TEST_INITRD}
 * (exported by {@code ./berth test}) or else the launcher's stable links {@code vm/vmlinuz} and
 * {@code vm/initramfs.cpio.gz} in its cache ({@code BERTH_CACHE_DIR}, default {@code ~/.cache/berth}). A missing
 * fixture fails the test, it never skips it.
 *
 * <p>Runs with a longer libvirt call timeout than the other tests ({@link RealHost}): their 2 s suits the
 * in-process test driver, while a real force off ({@code virDomainDestroy}: SIGTERM, wait for QEMU to exit, clean
 * up) took 1.2–1.5 s here unloaded and more than 2 s under a parallel build.
 */
@Tag(DatabasePass.INDEPENDENT)
@QuarkusTest
@TestProfile(RealQemuTest.RealHost.class)
class RealQemuTest {
    /** The production default is 5 s; 10 s leaves room for a loaded 2-core machine. */
    public static class RealHost implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("berth.compute.call-timeout", "10s");
        }
    }

    static final String STACK = "run ./berth stack (or ./berth test) first";
    static final long BOOT_SECONDS = 90; // bounds for polling, not expectations
    static final long ACPI_SECONDS = 30;

    static QemuDomain vm;

    @BeforeAll
    static void defineDomain() throws Exception {
        vm = QemuDomain.define("real");
    }

    @AfterAll
    static void removeDomain() throws Exception {
        if (vm != null) {
            vm.close();
        }
    }

    @Test
    @Timeout(180) // a hang guard, not a measurement
    void aliceStartsWatchesAndStopsARealQemuMachine() throws Exception {
        as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200);
        MachinesApiTest.generousQuota("acme");
        var body = Map.of("name", unique("qemu-local"), "kind", "KVM", "uri", vm.uri);
        int host = as(DemoUser.CAROL).body(body).when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
        int id = MachinesApiTest.assign("acme", host, vm.uuid).get(0);
        try {
            as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200)
                    .body("machine.name", equalTo(vm.name)).body("machine.state", equalTo("SHUTOFF"))
                    .body("machine.vcpus", equalTo(1)).body("machine.memoryBytes", equalTo(128 << 20));

            long t0 = System.nanoTime();
            as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/start").then().statusCode(200)
                    .body("state", equalTo("RUNNING"));
            long started = System.nanoTime();
            await("stats with CPU time > 0", BOOT_SECONDS, () -> {
                var r = as(DemoUser.ALICE).when().get("/api/v1/vms/" + id + "/stats").then().extract();
                return r.statusCode() == 200 && ((Number) r.path("now.cpuTimeNanos")).longValue() > 0;
            });
            long cpu = System.nanoTime();
            as(DemoUser.ALICE).when().get("/api/v1/vms/" + id + "/stats").then().statusCode(200)
                    .body("now.vcpus", equalTo(1)).body("now.memoryUsedBytes", greaterThan(0))
                    .body("now.netRxBytes", equalTo(0)).body("now.netTxBytes", equalTo(0));
            await("the guest's line \"berth-test-vm: up\" on its serial console", BOOT_SECONDS, vm::guestUp);
            long up = System.nanoTime();
            System.out.printf("RealQemuTest: start call %d ms, CPU time seen after %d ms, guest up after %d ms%n",
                    ms(t0, started), ms(t0, cpu), ms(t0, up));

            as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200)
                    .body("machine.state", equalTo("RUNNING"))
                    .body("detail.graphics.type", equalTo("vnc"))
                    .body("detail.graphics.listen", equalTo("127.0.0.1"))
                    .body("detail.graphics.port", greaterThan(0)) // autoport assigned while running
                    .body("detail.nics", empty())
                    .body("detail.disks", empty())
                    .body("advice", empty());

            long poweroff = System.nanoTime();
            as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/poweroff").then().statusCode(200)
                    .body("state", equalTo("SHUTOFF"));
            System.out.printf("RealQemuTest: force off call %d ms%n", ms(poweroff, System.nanoTime()));
            assertEquals("shut off", vm.virsh(20, "domstate", vm.name).out().strip(), "libvirt's own view after force off");
            as(DemoUser.ALICE).when().get("/api/v1/vms/" + id + "/stats").then().statusCode(409);

            // Again, and this time ask the guest to shut down (ACPI power button).
            as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/start").then().statusCode(200)
                    .body("state", equalTo("RUNNING"));
            await("the guest's line \"berth-test-vm: up\" after the second start", BOOT_SECONDS, vm::guestUp);
            long asked = System.nanoTime();
            as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/shutdown").then().statusCode(200);
            boolean off = poll(ACPI_SECONDS, () -> "SHUTOFF".equals(
                    as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200).extract().path("machine.state")));
            // The guest's acpid runs /etc/acpi/PWRF/00000080 on the power button, which says so and powers off: a
            // guest that stays up, or goes down for another reason, fails here (the finally block cleans up).
            assertTrue(off, "the guest did not power off within " + ACPI_SECONDS + " s of the ACPI power button. Console:\n"
                    + vm.consoleText());
            assertTrue(vm.consoleText().contains("berth-test-vm: ACPI power button, powering off"),
                    "powered off, but not by its power-button handler. Console:\n" + vm.consoleText());
            System.out.printf("RealQemuTest: ACPI shutdown completed after %d ms%n", ms(asked, System.nanoTime()));
            as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200).body("machine.state", equalTo("SHUTOFF"));
        } finally {
            vm.virsh(30, "destroy", vm.name); // nothing left running even when an assertion failed midway
            as(DemoUser.CAROL).body(Map.of("ids", List.of(id))).when().delete("/api/v1/admin/vms/assignments");
            as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + host);
        }
    }

    /**
     * Reboot through Berth's API: the guest really goes through its power button and boots again (a second
     * "berth-test-vm: up" on its console, libvirt's fake reboot keeps the QEMU process), the action is audited with
     * its actor, tenant, machine and request id, and the exact uptime starts at the reboot call, not at the first
     * start, and stays exact while the guest reboots.
     */
    @Test
    @Timeout(240) // a hang guard, not a measurement
    void aliceRebootsARealQemuMachineAndItsUptimeStartsOver() throws Exception {
        as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200);
        MachinesApiTest.generousQuota("acme");
        var body = Map.of("name", unique("qemu-reboot"), "kind", "KVM", "uri", vm.uri);
        int host = as(DemoUser.CAROL).body(body).when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
        int id = MachinesApiTest.assign("acme", host, vm.uuid).get(0);
        try {
            as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/start").then().statusCode(200).body("state", equalTo("RUNNING"));
            await("the guest's line \"berth-test-vm: up\"", BOOT_SECONDS, vm::guestUp);
            Instant started = runningSince(id);
            assertEquals(1, ups(), vm.consoleText());

            String requestId = "reboot-" + java.util.UUID.randomUUID();
            Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            as(DemoUser.ALICE).header("X-Request-Id", requestId).when().post("/api/v1/vms/" + id + "/actions/reboot").then().statusCode(200)
                    .body("state", equalTo("RUNNING")).body("runningSinceExact", equalTo(true));
            Instant after = Instant.now();
            Instant rebooted = runningSince(id);
            assertTrue(rebooted.isAfter(started), "uptime starts over: " + rebooted + " after the start at " + started);
            assertFalse(rebooted.isBefore(before) || rebooted.isAfter(after),
                    "uptime from the reboot call (" + before + " … " + after + "), not " + rebooted);

            as(DemoUser.CAROL).queryParam("action", "vm.reboot").queryParam("tenant", "acme").queryParam("size", 500)
                    .when().get("/api/v1/admin/audit").then().statusCode(200)
                    .body("items.findAll { it.requestId == '" + requestId + "' }.size()", equalTo(1))
                    .body("items.find { it.requestId == '" + requestId + "' }.action", equalTo("vm.reboot"))
                    .body("items.find { it.requestId == '" + requestId + "' }.actor", equalTo("alice"))
                    .body("items.find { it.requestId == '" + requestId + "' }.tenant", equalTo("acme"))
                    .body("items.find { it.requestId == '" + requestId + "' }.target", equalTo(vm.name))
                    .body("items.find { it.requestId == '" + requestId + "' }.outcome", equalTo("OK"));

            // The guest went through its power button and came up again, in the same QEMU process.
            await("the guest's second \"berth-test-vm: up\" after the reboot", BOOT_SECONDS, () -> ups() == 2);
            assertTrue(vm.consoleText().contains("berth-test-vm: ACPI power button, powering off"),
                    "rebooted by its power-button handler. Console:\n" + vm.consoleText());
            as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200)
                    .body("machine.state", equalTo("RUNNING"))
                    .body("machine.runningSinceExact", equalTo(true));
            assertEquals(rebooted, runningSince(id), "a reboot seen running stays the exact uptime");
        } finally {
            vm.virsh(30, "destroy", vm.name);
            as(DemoUser.CAROL).body(Map.of("ids", List.of(id))).when().delete("/api/v1/admin/vms/assignments");
            as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + host);
        }
    }

    static Instant runningSince(int id) {
        String since = as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200)
                .body("machine.runningSinceExact", equalTo(true)).extract().path("machine.runningSince");
        assertTrue(since != null, "no uptime for a running machine");
        return Instant.parse(since);
    }

    /** How often the guest has come up since QEMU started (its console log is truncated at each QEMU start only). */
    static int ups() {
        return vm.consoleText().split("berth-test-vm: up", -1).length - 1;
    }

    @Inject
    StatsHistory history;

    @TestHTTPResource("/")
    URL portal;

    /** The "done when", in Chromium: alice starts and stops the real VM from its page and sees its graphs. */
    @Test
    @Timeout(240) // a hang guard, not a measurement
    void aliceStartsAndStopsTheRealMachineFromTheBrowser() throws Exception {
        as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200);
        MachinesApiTest.generousQuota("acme");
        var body = Map.of("name", unique("qemu-ui"), "kind", "KVM", "uri", vm.uri);
        int host = as(DemoUser.CAROL).body(body).when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
        int id = MachinesApiTest.assign("acme", host, vm.uuid).get(0);
        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.ALICE);
            b.open("/machines?q=" + vm.name);
            b.visible(By.linkText(vm.name)).click();
            b.visible(By.id("machine-name"));
            b.driver.findElement(By.id("action-start")).click();
            assertTrue(b.confirm().startsWith("Start " + vm.name), "every action is confirmed first");
            b.wait.until(ExpectedConditions.textToBe(By.cssSelector("#machine-state .machine-state"), "running"));
            await("the guest's line \"berth-test-vm: up\"", BOOT_SECONDS, vm::guestUp);

            dev.berth.support.Sampling.untilRated(history, id);
            b.open("/machines/" + id);
            b.wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#graphs polyline")));
            b.visible(By.id("advice-none")); // no disks, no NICs: nothing to tune
            b.screenshot("machine-detail-running.png", "machine-detail.png");
            b.open("/machines");
            b.visible(By.id("machines-table"));
            b.screenshot("machines.png", "machines.png");
            b.open("/machines/" + id);
            b.visible(By.id("machine-name"));

            b.driver.findElement(By.id("action-more")).click(); // Force off sits in the kebab menu
            b.visible(By.id("action-poweroff")).click();
            b.confirm();
            b.wait.until(ExpectedConditions.textToBe(By.cssSelector("#machine-state .machine-state"), "shut off"));
            assertEquals("shut off", vm.virsh(20, "domstate", vm.name).out().strip(), "libvirt's own view after force off from the page");
        } finally {
            vm.virsh(30, "destroy", vm.name);
            as(DemoUser.CAROL).body(Map.of("ids", List.of(id))).when().delete("/api/v1/admin/vms/assignments");
            as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + host);
        }
    }

    // --- fixture ----------------------------------------------------------------------------------------------

    static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    static Path fixture(String variable, Path fallback, String what) {
        String v = System.getenv(variable);
        Path p = v == null || v.isBlank() ? fallback : Path.of(v);
        if (!Files.isReadable(p)) {
            fail("No test VM " + what + ": " + variable + (v == null || v.isBlank() ? " is not set and " + p + " does not exist"
                    : "=" + v + " is not readable") + "; " + STACK + " (step \"Test VM image (cached)\").");
        }
        return p;
    }

    static boolean poll(long seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(500);
        }
    }

    static void await(String what, long seconds, BooleanSupplier condition) throws InterruptedException {
        if (!poll(seconds, condition)) {
            fail("no " + what + " within " + seconds + " s; the guest's console says:\n" + vm.consoleText());
        }
    }

    static long ms(long from, long to) {
        return TimeUnit.NANOSECONDS.toMillis(to - from);
    }
}
