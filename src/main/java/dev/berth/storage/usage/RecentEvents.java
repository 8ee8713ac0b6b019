package dev.berth.storage.usage;

import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The events this replica has applied lately. Every event comes twice (the instance's direct target at once, its
 * queued target's replay seconds later, README "Storage at scale"), and the twin changes nothing: knowing it here
 * spares it the database (a transaction and a row lock on the bucket, which the next new event then waits for).
 * Only events whose transaction committed are remembered; one not found here (evicted, or applied by another replica)
 * goes to the ledger, which recognises it by its sequencer, so forgetting costs time, never correctness.
 *
 * <p>Bounded: {@value #CAPACITY} events (the instance's queue holds as many), kept as 128-bit digests of the event's
 * identity so that a long key costs no more memory than a short one (about 6 MB when full).
 */
@ApplicationScoped
public class RecentEvents {
    static final int CAPACITY = 100_000;

    private record Digest(long hi, long lo) {
    }

    private final Map<Digest, Boolean> seen = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Digest, Boolean> eldest) {
            return size() > CAPACITY;
        }
    };

    /** The events of the list not applied here yet, in order. */
    public List<UsageLedger.Event> unseen(long tenantId, List<UsageLedger.Event> events) {
        var fresh = new ArrayList<UsageLedger.Event>(events.size());
        synchronized (seen) {
            for (UsageLedger.Event e : events) {
                if (!seen.containsKey(digest(tenantId, e))) {
                    fresh.add(e);
                }
            }
        }
        return fresh;
    }

    /** Call only once the events' transaction committed. */
    public void applied(long tenantId, Collection<UsageLedger.Event> events) {
        synchronized (seen) {
            for (UsageLedger.Event e : events) {
                seen.put(digest(tenantId, e), Boolean.TRUE);
            }
        }
    }

    int size() {
        synchronized (seen) {
            return seen.size();
        }
    }

    private static Digest digest(long tenantId, UsageLedger.Event e) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex); // every JDK has it
        }
        // The time too: MinIO reports a delete marker's removal as its creation again, but for the time.
        long time = e.time() == null ? 0 : e.time().toEpochMilli();
        sha.update(ByteBuffer.allocate(8 + 8 + 8 + 8 + 4).putLong(tenantId).putLong(e.seq()).putLong(e.size()).putLong(time)
                .putInt(e.kind().ordinal()).array());
        // Lengths first, so that ("ab", "c") and ("a", "bc") differ.
        for (String s : new String[] {e.bucket(), e.key(), e.versionId()}) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            sha.update(ByteBuffer.allocate(4).putInt(b.length).array());
            sha.update(b);
        }
        ByteBuffer d = ByteBuffer.wrap(sha.digest());
        return new Digest(d.getLong(), d.getLong());
    }
}
