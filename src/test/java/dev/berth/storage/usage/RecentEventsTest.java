package dev.berth.storage.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The twin of an applied event is known; anything that differs is not (the ledger decides), and the memory is bounded. */
class RecentEventsTest {
    static final Instant T = Instant.parse("2026-12-01T00:00:00Z");

    static UsageLedger.Event put(String key, long seq, Instant time) {
        return new UsageLedger.Event("data", key, null, 10, seq, time, UsageLedger.Kind.CREATED);
    }

    @Test
    void onlyAppliedEventsAreSkipped() {
        var recent = new RecentEvents();
        var a = put("a", 1, T);
        var b = put("b", 2, T);
        assertEquals(List.of(a, b), recent.unseen(7, List.of(a, b)), "nothing applied yet");
        recent.applied(7, List.of(a));
        assertEquals(List.of(b), recent.unseen(7, List.of(put("a", 1, T), b)), "the twin of a is skipped, b is not");
        assertEquals(List.of(a), recent.unseen(8, List.of(a)), "another tenant's event with the same fields");
        assertEquals(1, recent.unseen(7, List.of(put("a", 1, T.plusSeconds(5)))).size(),
                "same sequencer, later time: a delete marker's removal, not a twin");
        assertEquals(1, recent.unseen(7, List.of(new UsageLedger.Event("data", "a", null, 10, 1, T, UsageLedger.Kind.REMOVED))).size());
        assertEquals(1, recent.unseen(7, List.of(new UsageLedger.Event("dat", "aa", null, 10, 1, T, UsageLedger.Kind.CREATED))).size(),
                "bucket and key are not merely concatenated");
    }

    @Test
    void bounded() {
        var recent = new RecentEvents();
        for (int i = 0; i < RecentEvents.CAPACITY + 10; i++) {
            recent.applied(1, List.of(put("k" + i, i, T)));
        }
        assertEquals(RecentEvents.CAPACITY, recent.size());
        assertEquals(1, recent.unseen(1, List.of(put("k0", 0, T))).size(), "the oldest was forgotten");
        assertEquals(0, recent.unseen(1, List.of(put("k" + RecentEvents.CAPACITY, RecentEvents.CAPACITY, T))).size());
    }
}
