package dev.berth.storage.instance;

import dev.berth.common.ByteSize;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** Where an instance goes and on which port, and how long to wait before retrying: pure rules, no I/O. */
public final class Placement {
    private Placement() {
    }

    /**
     * An enabled Docker host as placement sees it.
     *
     * @param memoryBytes   the engine's memory, null when the host did not answer
     * @param reservedBytes the memory limits of the instances already placed there
     * @param problem       why the host cannot be used (unreachable, no storage address), or null
     */
    public record Candidate(long hostId, String name, Long memoryBytes, long reservedBytes, String problem) {
        long free() {
            return memoryBytes == null ? 0 : memoryBytes - reservedBytes;
        }
    }

    /** The host chosen, or the reason none fits (naming every host and what was wrong with it). */
    public record Decision(Candidate host, String refusal) {
    }

    /** The usable host with the most free memory that can hold {@code needBytes}; ties go by name. */
    public static Decision choose(List<Candidate> candidates, long needBytes) {
        Optional<Candidate> best = candidates.stream()
                .filter(c -> c.problem() == null && c.memoryBytes() != null && c.free() >= needBytes)
                .max(Comparator.comparingLong(Candidate::free).thenComparing(Candidate::name, Comparator.reverseOrder()));
        if (best.isPresent()) {
            return new Decision(best.get(), null);
        }
        if (candidates.isEmpty()) {
            return new Decision(null, "No Docker host is registered and enabled; an administrator must add one.");
        }
        var why = new StringBuilder("No Docker host can hold a container of " + ByteSize.format(needBytes) + ":");
        for (Candidate c : candidates.stream().sorted(Comparator.comparing(Candidate::name)).toList()) {
            why.append(' ').append(c.name()).append(" (")
                    .append(c.problem() != null ? c.problem() : ByteSize.format(Math.max(0, c.free())) + " free")
                    .append(");");
        }
        why.setLength(why.length() - 1);
        return new Decision(null, why + ".");
    }

    /** The lowest port of [min, max] not in use on the host. */
    public static OptionalInt freePort(Set<Integer> used, int min, int max) {
        for (int p = min; p <= max; p++) {
            if (!used.contains(p)) {
                return OptionalInt.of(p);
            }
        }
        return OptionalInt.empty();
    }

    /** base, 2·base, 4·base, … capped at max (attempts counts failures so far, from 1). */
    public static Duration backoff(int attempts, Duration base, Duration max) {
        int shift = Math.max(0, Math.min(attempts - 1, 20));
        Duration d = base.multipliedBy(1L << shift);
        return d.compareTo(max) > 0 ? max : d;
    }
}
