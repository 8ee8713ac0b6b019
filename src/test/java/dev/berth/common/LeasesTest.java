package dev.berth.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Leases against the test database (H2, or PostgreSQL in the second run): one holder at a time, takeover after expiry. */
@QuarkusTest
class LeasesTest {
    static final Duration TTL = Duration.ofMinutes(5);

    @Inject
    AgroalDataSource db;
    @Inject
    Leases leases;

    Leases replica(String name) {
        return new Leases(db, new Leases.Config() {
            @Override
            public Optional<String> holder() {
                return Optional.of(name);
            }

            @Override
            public boolean enabled() {
                return true;
            }
        });
    }

    static String unique() {
        return "test-" + UUID.randomUUID();
    }

    @Test
    void oneHolderAtATimeRenewedByItsHolderAndFreedOnRelease() {
        Leases a = replica("a");
        Leases b = replica("b");
        assertNotEquals(a.holder(), b.holder());
        String name = unique();
        assertTrue(a.tryAcquire(name, TTL));
        assertFalse(b.tryAcquire(name, TTL), "b while a holds it");
        assertTrue(a.tryAcquire(name, TTL), "a renews");
        assertEquals(Optional.of(a.holder()), a.holderOf(name));
        assertFalse(b.runExclusively(name, TTL, () -> {
            throw new AssertionError("must not run");
        }));
        b.release(name); // not b's: nothing happens
        assertFalse(b.tryAcquire(name, TTL));
        a.release(name);
        assertEquals(Optional.empty(), a.holderOf(name));
        assertTrue(b.tryAcquire(name, TTL), "free after a released it");
        assertFalse(a.tryAcquire(name, TTL));
    }

    @Test
    void anExpiredLeaseIsTakenOver() throws SQLException {
        Leases a = replica("a");
        Leases b = replica("b");
        String name = unique();
        assertTrue(a.tryAcquire(name, TTL));
        expire(name); // as if a had crashed long ago
        assertEquals(Optional.empty(), b.holderOf(name));
        assertTrue(b.tryAcquire(name, TTL));
        assertFalse(a.tryAcquire(name, TTL), "a came back: b holds it now");
    }

    /** Many replicas race for a new lease (INSERT race) and for an expired one (UPDATE race): exactly one wins each. */
    @Test
    void racingReplicasNeverBothWin() throws Exception {
        int replicas = 6;
        var all = new ArrayList<Leases>();
        for (int i = 0; i < replicas; i++) {
            all.add(replica("r" + i));
        }
        try (var pool = Executors.newFixedThreadPool(replicas)) {
            for (int round = 0; round < 15; round++) {
                String name = unique();
                if (round % 2 == 1) { // an existing, expired row
                    assertTrue(replica("old").tryAcquire(name, TTL));
                    expire(name);
                }
                var start = new CountDownLatch(1);
                var results = new ArrayList<CompletableFuture<Boolean>>();
                for (Leases l : all) {
                    results.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            start.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return l.tryAcquire(name, TTL);
                    }, pool));
                }
                start.countDown();
                List<Boolean> won = results.stream().map(CompletableFuture::join).toList();
                assertEquals(1, won.stream().filter(w -> w).count(), "round " + round + ": " + won);
                String winner = all.get(won.indexOf(true)).holder();
                assertEquals(Optional.of(winner), leases.holderOf(name));
            }
        }
    }

    private void expire(String name) throws SQLException {
        try (var c = db.getConnection();
             var st = c.prepareStatement("update lease set expires_at = ? where name = ?")) {
            st.setObject(1, java.time.OffsetDateTime.now().minusHours(1));
            st.setString(2, name);
            assertEquals(1, st.executeUpdate());
        }
    }
}
