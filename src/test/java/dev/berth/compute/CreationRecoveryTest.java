package dev.berth.compute;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.hosts.Endpoint;
import dev.berth.hosts.HostService;
import dev.berth.support.DemoUser;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A creation interrupted by a stop of the portal, without killing a JVM: the state such a stop leaves is written as it
 * would be — the row CREATING at a step, long quiet, and on libvirt's test driver what the steps before had made (an
 * overlay not yet recorded in the row, a seed, a defined and running domain) — then the recovery pass runs. It must
 * leave no domain and no volume of the machine, the row FAILED with the reason and holding no quota, an audit entry,
 * and do nothing more when run again; a creation that is quiet only briefly, or under way here, is left alone.
 */
@QuarkusTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CreationRecoveryTest {
    static final Duration T = Duration.ofSeconds(5);

    @Inject
    CreationRecovery recovery;
    @Inject
    Hypervisor hypervisor;
    @Inject
    HostService hostService;
    @Inject
    TenantService tenants;
    @Inject
    Catalog catalog;

    Integer host;
    Integer image;
    Endpoint endpoint;
    String volumePath;

    @BeforeEach
    void hostAndImage() {
        if (host != null) {
            return;
        }
        as(DemoUser.ALICE).get("/api/v1/me").then().statusCode(200);
        MachinesApiTest.generousQuota("acme");
        host = SelfServiceApiTest.host("selfservice-a.xml");
        image = as(DemoUser.CAROL).body(Map.of("name", unique("rec-img"), "os", "Debian 12", "minDisk", "1 GiB", "minMemory", "64 MiB",
                "cloudInit", true, "hostId", host, "pool", "images", "volume", "debian-12.qcow2"))
                .post("/api/v1/admin/images").then().statusCode(201).extract().path("id");
        endpoint = hostService.endpoint(host);
        volumePath = QuarkusTransaction.requiringNew().call(() -> MachineImage.<MachineImage>findById((long) image).volumePath);
    }

    @AfterAll
    void cleanUp() {
        var cleaner = new dev.berth.audit.Actor("recovery-test", null, null);
        var creation = io.quarkus.arc.Arc.container().instance(MachineCreation.class).get();
        if (host != null) {
            long h = host;
            for (VmAssignment a : QuarkusTransaction.requiringNew().call(() -> VmAssignment.<VmAssignment>list("hostId", h))) {
                SelfServiceQemuTest.quietly(() -> creation.delete(cleaner, "acme", a.id, a.name));
            }
            SelfServiceQemuTest.quietly(() -> catalog.deleteImage(cleaner, image));
            SelfServiceQemuTest.quietly(() -> hostService.delete(cleaner, host));
        }
    }

    /** The row a reservation writes, at {@code step}, last heard of {@code quietFor} ago. */
    VmAssignment row(Creation.Step step, Duration quietFor, String overlayRecorded) {
        long tenantId = tenants.idOf("acme");
        return QuarkusTransaction.requiringNew().call(() -> {
            var a = new VmAssignment();
            a.tenantId = tenantId;
            a.hostId = (long) host;
            a.domainUuid = UUID.randomUUID().toString();
            a.name = "rec-" + SelfServiceApiTest.suffix();
            a.vcpus = 1;
            a.memoryBytes = 64L << 20;
            a.diskBytes = 1L << 30;
            a.assignedAt = Instant.now().minus(quietFor);
            a.assignedBy = "alice";
            a.madeByBerth = true;
            a.status = Creation.Status.CREATING.name();
            a.step = step.name();
            a.stepAt = a.assignedAt;
            a.imageId = (long) image;
            a.flavourName = "tiny";
            a.pool = "images";
            a.overlayVolume = overlayRecorded;
            a.persist();
            return a;
        });
    }

    void overlay(VmAssignment a) throws HypervisorException {
        hypervisor.createVolume(endpoint, "images", MachineXml.overlayVolume(Creation.overlayVolume(a.domainUuid), a.diskBytes,
                volumePath, "qcow2"), T);
    }

    void seedAndDomain(VmAssignment a, boolean start) throws HypervisorException {
        var seed = hypervisor.createVolume(endpoint, "images", MachineXml.rawVolume(Creation.seedVolume(a.domainUuid), 4096), T);
        var disk = hypervisor.volume(endpoint, "images", Creation.overlayVolume(a.domainUuid), T).orElseThrow();
        hypervisor.define(endpoint, MachineXml.domain(new MachineXml.DomainSpec("test", Creation.domainName("acme", a.name), a.domainUuid,
                "acme", a.name, a.vcpus, a.memoryBytes, disk.path(), volumePath, seed.path(), new MachineXml.Network.None(), null)), T);
        if (start) {
            hypervisor.act(endpoint, a.domainUuid, PowerAction.START, T);
        }
    }

    int machinesCounted() {
        return tenants.usage("acme").vms();
    }

    void assertRolledBack(VmAssignment a, int countedBefore) throws HypervisorException {
        VmAssignment after = MachineCreation.row(a.id);
        assertEquals("FAILED", after.status);
        assertTrue(after.lastError.contains("interrupted"), after.lastError);
        assertNull(after.overlayVolume);
        assertTrue(hypervisor.listDomains(endpoint, T).stream().noneMatch(d -> d.uuid().equalsIgnoreCase(a.domainUuid)), "no domain left");
        for (String v : List.of(Creation.overlayVolume(a.domainUuid), Creation.seedVolume(a.domainUuid))) {
            assertTrue(hypervisor.volume(endpoint, "images", v, T).isEmpty(), v + " left behind");
        }
        assertEquals(countedBefore, machinesCounted(), "the quota is free again");
        as(DemoUser.CAROL).get("/api/v1/admin/audit?action=vm.create&size=20").then().statusCode(200)
                .body("items.target", hasItem(containsString(a.name))).body("items.actor", hasItem(CreationRecovery.ACTOR));
        // the tenant sees why, and deleting the row afterwards works
        as(DemoUser.ALICE).get("/api/v1/vms/" + a.id + "/creation").then().statusCode(200)
                .body("status", org.hamcrest.Matchers.equalTo("FAILED")).body("error", containsString("interrupted"));
    }

    @Test
    void interruptedAfterTheReservationIsRolledBack() throws Exception {
        int before = machinesCounted();
        VmAssignment a = row(Creation.Step.RESERVED, Duration.ofHours(1), null);
        assertEquals(before + 1, machinesCounted(), "a reservation holds quota");
        var done = recovery.recover(Instant.now().minusSeconds(60));
        assertTrue(done.stream().anyMatch(r -> r.id() == a.id && r.rolledBack()), done.toString());
        assertRolledBack(a, before);
    }

    @Test
    void interruptedAfterTheOverlayWasMadeButNotRecordedRemovesIt() throws Exception {
        int before = machinesCounted();
        VmAssignment a = row(Creation.Step.RESERVED, Duration.ofHours(1), null); // stopped between libvirt's answer and the record
        overlay(a);
        recovery.recover(Instant.now().minusSeconds(60));
        assertRolledBack(a, before);
    }

    @Test
    void interruptedAfterDefineAndStartRemovesDomainDiskAndSeed() throws Exception {
        int before = machinesCounted();
        VmAssignment a = row(Creation.Step.DEFINED, Duration.ofHours(1), Creation.overlayVolume(UUID.randomUUID().toString()));
        QuarkusTransaction.requiringNew().run(() -> VmAssignment.update("overlayVolume = ?1, seedVolume = ?2 where id = ?3",
                Creation.overlayVolume(a.domainUuid), Creation.seedVolume(a.domainUuid), a.id));
        overlay(a);
        seedAndDomain(a, true); // stopped before READY was written: the domain runs
        recovery.recover(Instant.now().minusSeconds(60));
        assertRolledBack(a, before);
        // run again: nothing more to do, nothing changes
        var again = recovery.recover(Instant.now().minusSeconds(60));
        assertTrue(again.stream().noneMatch(r -> r.id() == a.id), again.toString());
        assertEquals("FAILED", MachineCreation.row(a.id).status);
        assertEquals(before, machinesCounted());
    }

    @Test
    void interruptedAfterTheKeyWasMadeButNotRecordedRevokesIt() throws Exception {
        dev.berth.support.Storage.ready("acme"); // a real MinIO instance: the key is made there
        String bucket = unique("rec-b");
        dev.berth.support.Storage.bucket(DemoUser.ALICE, bucket);
        int before = machinesCounted();
        VmAssignment a = row(Creation.Step.DISK, Duration.ofHours(1), null);
        QuarkusTransaction.requiringNew().run(() -> VmAssignment.update("bucket = ?1 where id = ?2", bucket, a.id));
        var buckets = io.quarkus.arc.Arc.container().instance(dev.berth.storage.bucket.BucketService.class).get();
        // as the seed branch makes it; stopped before the row names it. A key of the tenant's own stays.
        String key = buckets.createKey(new dev.berth.audit.Actor("alice", null, null), "acme", bucket,
                new dev.berth.storage.bucket.BucketRules.KeyInput("read-write", null, "machine " + a.name)).key().accessKey();
        String own = buckets.createKey(new dev.berth.audit.Actor("alice", null, null), "acme", bucket,
                new dev.berth.storage.bucket.BucketRules.KeyInput("read-only", null, "laptop")).key().accessKey();
        overlay(a);
        recovery.recover(Instant.now().minusSeconds(60));
        assertRolledBack(a, before);
        as(DemoUser.ALICE).get("/api/v1/buckets/" + bucket + "/keys").then().statusCode(200)
                .body("accessKey", org.hamcrest.Matchers.not(hasItem(key))).body("accessKey", hasItem(own));
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + bucket + "?confirm=" + bucket).then().statusCode(204);
    }

    @Test
    void aCreationStillRunningWhenThePassClaimedItUndoesItsOwnWork() throws Exception {
        int before = machinesCounted();
        VmAssignment a = row(Creation.Step.RESERVED, Duration.ofHours(1), null);
        // the pass claimed the row (and found nothing yet to remove) while this creation was still going
        QuarkusTransaction.requiringNew().run(() -> VmAssignment.update("lastError = ?1 where id = ?2", CreationRecovery.CLAIM, a.id));
        var creation = io.quarkus.arc.Arc.container().instance(MachineCreation.class).get();
        MachineImage img = QuarkusTransaction.requiringNew().call(() -> MachineImage.<MachineImage>findById((long) image));
        creation.provision(new dev.berth.audit.Actor("alice", null, null), "acme", a, img, hostService.get(host), null);
        VmAssignment after = MachineCreation.row(a.id);
        assertEquals("CREATING", after.status, "a claimed row is not finished by the creation");
        assertTrue(hypervisor.listDomains(endpoint, T).stream().noneMatch(d -> d.uuid().equalsIgnoreCase(a.domainUuid)), "its domain is undone");
        assertTrue(hypervisor.volume(endpoint, "images", Creation.overlayVolume(a.domainUuid), T).isEmpty(), "its overlay is undone");
        recovery.recover(Instant.now().plusSeconds(1)); // the pass, run again (its claim is fresh), finishes the row
        assertRolledBack(a, before);
    }

    @Test
    void waitingOnACreationAnotherReplicaMakesAnswersWhenItIsDone() throws Exception {
        VmAssignment a = row(Creation.Step.DEFINED, Duration.ZERO, null); // under way elsewhere: no thread here works on it
        var finisher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        try {
            finisher.schedule(() -> QuarkusTransaction.requiringNew().run(() -> VmAssignment.update("status = ?1, step = ?2 where id = ?3",
                    "READY", "STARTED", a.id)), 1500, java.util.concurrent.TimeUnit.MILLISECONDS);
            as(DemoUser.ALICE).get("/api/v1/vms/" + a.id + "/creation?wait=20").then().statusCode(200)
                    .body("status", org.hamcrest.Matchers.equalTo("READY"));
        } finally {
            finisher.shutdownNow();
        }
        QuarkusTransaction.requiringNew().run(() -> VmAssignment.update("status = ?1 where id = ?2", "FAILED", a.id)); // for the clean-up
    }

    @Test
    void aCreationQuietOnlyBrieflyIsLeftAlone() throws Exception {
        VmAssignment a = row(Creation.Step.DISK, Duration.ofSeconds(5), Creation.overlayVolume(UUID.randomUUID().toString()));
        var done = recovery.recover(Instant.now().minusSeconds(600));
        assertTrue(done.stream().noneMatch(r -> r.id() == a.id), done.toString());
        VmAssignment after = MachineCreation.row(a.id);
        assertEquals("CREATING", after.status);
        assertNull(after.lastError);
        QuarkusTransaction.requiringNew().run(() -> VmAssignment.update("status = ?1 where id = ?2", "FAILED", a.id)); // for the clean-up
    }
}
