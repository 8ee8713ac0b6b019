package dev.berth.common;

import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.Gauge;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * Named leases in the database, so that scheduled work runs on one replica at a time (host probes, stats sampling,
 * the storage reconciler). A lease is a row {@code lease(name, holder, acquired_at, expires_at)}; it is taken or
 * renewed by one conditional UPDATE ({@code where name = ? and (holder = me or expires_at <= now)}) or, when the row
 * does not exist yet, an INSERT that the primary key lets only one replica win. Both are single statements in their
 * own transaction, so they work the same on H2 and PostgreSQL without row locks or advisory locks. Time is the
 * database's ({@code current_timestamp}), so replicas' clocks do not matter.
 *
 * <p>How to use it for a scheduled job:
 * <pre>{@code
 * @Scheduled(every = "30s", concurrentExecution = SKIP)
 * void tick() {
 *     leases.runExclusively("storage-reconciler", Duration.ofSeconds(90), this::reconcileAll);
 * }
 * }</pre>
 * The holder keeps the lease between rounds (it renews it each round), so the work stays on one replica; another
 * replica takes over once the lease expires (holder crashed) or at once when the holder shuts down (released).
 * Choose the TTL longer than one round takes plus one interval: the work itself is not interrupted when the lease
 * runs out, so a round that outlives its TTL could overlap with the next holder's. Long rounds can call
 * {@link #tryAcquire} again between steps to renew, and stop when it answers false.
 */
@ApplicationScoped
public class Leases {
    private static final Logger LOG = Logger.getLogger(Leases.class);

    @ConfigMapping(prefix = "berth.lease")
    public interface Config {
        /** Names this replica in the lease table (pod name on Kubernetes); a process id and a random suffix are added. */
        Optional<String> holder();

        /** Switches leases off: every replica does all scheduled work (a single-replica installation may). */
        @WithDefault("true")
        boolean enabled();
    }

    private final AgroalDataSource db;
    private final String holder;
    private final boolean enabled;
    private final Map<String, Boolean> held = new ConcurrentHashMap<>();

    @Inject
    public Leases(AgroalDataSource db, Config config) {
        this.db = db;
        this.enabled = config.enabled();
        String base = config.holder().filter(h -> !h.isBlank()).orElseGet(Leases::hostname);
        String suffix = ProcessHandle.current().pid() + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        this.holder = (base.length() > 200 ? base.substring(0, 200) : base) + "/" + suffix;
    }

    /** Who this replica is in the lease table. */
    public String holder() {
        return holder;
    }

    /**
     * Takes the lease {@code name} for {@code ttl} from now if it is free, expired or already this replica's (then it
     * is renewed). True when this replica holds it afterwards. Never throws for a database hiccup: answers false.
     */
    public boolean tryAcquire(String name, Duration ttl) {
        if (!enabled) {
            return true;
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive: " + ttl);
        }
        boolean got;
        try {
            got = QuarkusTransaction.suspendingExisting().call(() -> claim(name, ttl));
        } catch (RuntimeException e) {
            LOG.warnf("Lease %s: the database did not answer (%s); not holding it", name, e.getMessage());
            got = false;
        }
        mark(name, got);
        return got;
    }

    /** Runs {@code work} if this replica holds (or now takes) the lease; answers whether it ran. */
    public boolean runExclusively(String name, Duration ttl, Runnable work) {
        if (!tryAcquire(name, ttl)) {
            return false;
        }
        work.run();
        return true;
    }

    /** Gives the lease up (if this replica holds it), so another replica may take it at once. */
    public void release(String name) {
        mark(name, false);
        if (!enabled) {
            return;
        }
        try {
            QuarkusTransaction.suspendingExisting().run(() -> {
                try (Connection c = db.getConnection();
                     PreparedStatement st = c.prepareStatement("delete from lease where name = ? and holder = ?")) {
                    st.setString(1, name);
                    st.setString(2, holder);
                    st.executeUpdate();
                } catch (SQLException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            });
        } catch (RuntimeException e) {
            LOG.debugf("Lease %s not released (%s); it expires on its own", name, e.getMessage());
        }
    }

    /** The current holder of a lease that has not expired, if any. */
    public Optional<String> holderOf(String name) {
        return QuarkusTransaction.suspendingExisting().call(() -> {
            try (Connection c = db.getConnection();
                 PreparedStatement st = c.prepareStatement("select holder from lease where name = ? and expires_at > current_timestamp")) {
                st.setString(1, name);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
    }

    void releaseAll(@Observes ShutdownEvent event) {
        held.forEach((name, mine) -> {
            if (mine) {
                release(name);
            }
        });
    }

    /** Outside any transaction: each statement commits on its own, and a lost INSERT race poisons nothing. */
    private boolean claim(String name, Duration ttl) {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(true);
            OffsetDateTime now;
            try (PreparedStatement st = c.prepareStatement("select current_timestamp");
                 ResultSet rs = st.executeQuery()) {
                rs.next();
                now = rs.getObject(1, OffsetDateTime.class);
            }
            OffsetDateTime until = now.plus(ttl);
            try (PreparedStatement st = c.prepareStatement("update lease set acquired_at = case when holder = ? then acquired_at else ? end,"
                    + " holder = ?, expires_at = ? where name = ? and (holder = ? or expires_at <= ?)")) {
                st.setString(1, holder);
                st.setObject(2, now);
                st.setString(3, holder);
                st.setObject(4, until);
                st.setString(5, name);
                st.setString(6, holder);
                st.setObject(7, now);
                if (st.executeUpdate() == 1) {
                    return true;
                }
            }
            try (PreparedStatement st = c.prepareStatement("insert into lease (name, holder, acquired_at, expires_at) values (?, ?, ?, ?)")) {
                st.setString(1, name);
                st.setString(2, holder);
                st.setObject(3, now);
                st.setObject(4, until);
                return st.executeUpdate() == 1;
            } catch (SQLException e) {
                if (isDuplicateKey(e)) {
                    return false; // another replica holds it (or inserted it a moment ago)
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** SQLSTATE 23505 (unique violation) on PostgreSQL and H2 alike. */
    private static boolean isDuplicateKey(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && "23505".equals(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private void mark(String name, boolean mine) {
        Boolean before = held.put(name, mine);
        if (before == null) {
            Gauge.builder(BerthMeters.LEASE_HELD, held, m -> Boolean.TRUE.equals(m.get(name)) ? 1 : 0)
                    .description("1 while this replica holds the lease").tag("lease", name).register(BerthMeters.registry());
        }
        if (before == null ? mine : before != mine) { // changes only, not every renewal
            LOG.infof("Lease %s %s (this replica: %s)", name, mine ? "taken" : "lost or released", holder);
        }
    }

    private static String hostname() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "berth";
        }
    }
}
