package dev.berth.tenancy;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Makes a quota check atomic with the change it guards: the count and the creation run while this tenant's row of
 * {@code tenant_lock} is locked ({@code select … for update}), so two requests, on one replica or on two, never both
 * see room for one more. A per-tenant lock in this process comes first, so that waiting requests do not each hold a
 * database connection (the holder needs a second one for the rows it writes in their own transactions).
 * Other tenants are never delayed.
 */
@ApplicationScoped
public class TenantLocks {
    /** Bounds the locked section: the slowest guarded change is one backend call (seconds), plus waiting replicas. */
    private static final int TIMEOUT_SECONDS = 120;

    private final ConcurrentHashMap<Long, ReentrantLock> local = new ConcurrentHashMap<>();

    /** Runs {@code work} as the only quota-guarded change of this tenant anywhere; its own writes commit as they go. */
    public <T> T exclusive(long tenantId, Supplier<T> work) {
        ReentrantLock lock = local.computeIfAbsent(tenantId, id -> new ReentrantLock(true));
        lock.lock();
        try {
            return QuarkusTransaction.requiringNew().timeout(TIMEOUT_SECONDS).call(() -> {
                if (!lockRow(tenantId)) {
                    create(tenantId);
                    lockRow(tenantId);
                }
                return work.get();
            });
        } finally {
            lock.unlock();
        }
    }

    private static boolean lockRow(long tenantId) {
        return !Panache.getEntityManager()
                .createNativeQuery("select tenant_id from tenant_lock where tenant_id = ?1 for update")
                .setParameter(1, tenantId).getResultList().isEmpty();
    }

    /** A tenant's lock row, made on first use in its own transaction (a lost race leaves the winner's row). */
    private static void create(long tenantId) {
        try {
            QuarkusTransaction.requiringNew().run(() -> Panache.getEntityManager()
                    .createNativeQuery("insert into tenant_lock (tenant_id) select ?1 where not exists "
                            + "(select 1 from tenant_lock where tenant_id = ?1)")
                    .setParameter(1, tenantId).executeUpdate());
        } catch (RuntimeException e) {
            // Another request created it at the same moment: the row exists, which is all that matters.
        }
    }
}
