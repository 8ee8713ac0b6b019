package dev.berth.storage.instance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The process behind a claim, recorded in the claim owner as {@code <replica>/<where>.<pid>.<start>.<random>}, where
 * {@code <where>} stands for this kernel boot and PID namespace. A process that shares both with a holder sees the
 * holder's pid: if no process with that pid and start second runs, the holder is dead for certain, and its claim may
 * be taken at once instead of after its lease (a portal restarted after a crash on the same machine). A holder
 * elsewhere (another machine, another container) cannot be judged from here: its lease decides, as before.
 */
final class HolderProcess {
    /** Where this process runs; "-" when it cannot be told (not Linux): then no holder is ever judged dead. */
    private final String where;
    private final long pid;
    private final long startSecond;

    HolderProcess(String where, long pid, long startSecond) {
        this.where = where;
        this.pid = pid;
        this.startSecond = startSecond;
    }

    static HolderProcess current() {
        ProcessHandle self = ProcessHandle.current();
        return new HolderProcess(where(), self.pid(),
                self.info().startInstant().map(Instant::getEpochSecond).orElse(0L));
    }

    /** A claim owner naming this process; unique per process (the random part: per Berth start inside one JVM too). */
    String owner(String replica) {
        String name = replica.replace('/', '-');
        name = name.length() > 32 ? name.substring(0, 32) : name; // claim_owner is varchar(80)
        return name + "/" + where + "." + pid + "." + startSecond + "."
                + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
    }

    /**
     * True only when {@code owner} names a process of this boot and PID namespace that no longer runs (its pid is free,
     * or taken by a process started at another second). Anything else, including owners in another format: false.
     */
    boolean deadHere(String owner) {
        if (owner == null || where.equals("-")) {
            return false;
        }
        String[] parts = owner.substring(owner.lastIndexOf('/') + 1).split("\\.");
        if (parts.length != 4 || !parts[0].equals(where)) {
            return false;
        }
        long holderPid;
        long holderStart;
        try {
            holderPid = Long.parseLong(parts[1]);
            holderStart = Long.parseLong(parts[2]);
        } catch (NumberFormatException e) {
            return false;
        }
        Optional<ProcessHandle> running = ProcessHandle.of(holderPid);
        if (running.isEmpty() || !running.get().isAlive()) {
            return true;
        }
        // The pid is in use: by the holder unless that process started at another time (the pid was reused).
        // The start time's resolution is the clock tick, so a second either way still counts as the holder.
        return running.get().info().startInstant().map(s -> Math.abs(s.getEpochSecond() - holderStart) > 1).orElse(false);
    }

    private static String where() {
        try {
            String boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
            String pidNamespace = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((boot + " " + pidNamespace).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (Exception e) {
            return "-";
        }
    }
}
