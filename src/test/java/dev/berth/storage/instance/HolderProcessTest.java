package dev.berth.storage.instance;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

/** Whose claim may be taken at once: only that of a process of this machine that is gone, checked with real processes. */
@Tag(DatabasePass.INDEPENDENT)
class HolderProcessTest {
    final HolderProcess here = HolderProcess.current();

    /** The owner a portal running as {@code p} would record. */
    static String ownerOf(Process p, String where) {
        long start = p.info().startInstant().orElseThrow().getEpochSecond();
        return "replica/" + where + "." + p.pid() + "." + start + ".0a1b";
    }

    static String where(HolderProcess h) {
        String mine = h.owner("x");
        return mine.substring(2).split("\\.")[0];
    }

    @Test
    void aLiveProcessIsNotDeadAndAKilledOneIs() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        try {
            String owner = ownerOf(p, where(here));
            assertFalse(here.deadHere(owner), "running");
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertTrue(here.deadHere(owner), "killed");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aReusedPidIsDeadForTheFormerHolder() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        try {
            long start = p.info().startInstant().orElseThrow().getEpochSecond();
            assertTrue(here.deadHere("replica/" + where(here) + "." + p.pid() + "." + (start - 3600) + ".0a1b"));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void thisProcessAndProcessesElsewhereOrUnknownAreNeverDead() throws Exception {
        assertFalse(here.deadHere(here.owner("me")));
        Process p = new ProcessBuilder("true").start();
        p.waitFor(30, TimeUnit.SECONDS);
        String gone = "replica/000000000000." + p.pid() + ".0.0a1b"; // another machine or PID namespace: its pids mean nothing here
        assertFalse(here.deadHere(gone));
        assertFalse(here.deadHere("replica-that-died/0000"));
        assertFalse(here.deadHere(null));
        assertFalse(new HolderProcess("-", 1, 0).deadHere("replica/-.999999999.0.0000"), "unknown here: never judged");
    }

    @Test
    void ownersFitTheColumn() {
        String owner = here.owner("r".repeat(64) + "/pod");
        assertTrue(owner.length() <= 80, owner);
        assertTrue(owner.matches("r{32}/[0-9a-f]{12}\\.\\d+\\.\\d+\\.[0-9a-f]{4}"), owner);
    }
}
