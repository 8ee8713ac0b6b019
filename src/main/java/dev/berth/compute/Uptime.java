package dev.berth.compute;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Uptime as Berth can know it. libvirt has no uptime for a domain, so Berth remembers when it started a
 * machine (exact) or first saw it running (a lower bound, shown as "≥"), and forgets when it sees it stopped.
 *
 * @param since null while the machine is not known to run
 */
public record Uptime(Instant since, boolean exact) {
    public static final Uptime NONE = new Uptime(null, false);

    /** What to remember after observing {@code state}; empty when nothing changes (no write needed). */
    public Optional<Uptime> observe(DomainState state, boolean missing, Instant now) {
        if (missing) {
            return since == null ? Optional.empty() : Optional.of(NONE);
        }
        return switch (state) {
            case UNKNOWN, NOSTATE -> Optional.empty(); // nothing learnt: keep what we knew
            // The qemu process lives on while paused, shutting down or suspended by the guest.
            case RUNNING, BLOCKED, PAUSED, SHUTDOWN, PMSUSPENDED ->
                    since == null ? Optional.of(new Uptime(now, false)) : Optional.empty();
            case SHUTOFF, CRASHED -> since == null ? Optional.empty() : Optional.of(NONE);
        };
    }

    /** After Berth itself started (or rebooted) the machine: the guest's uptime begins now. */
    public static Uptime startedAt(Instant now) {
        return new Uptime(now, true);
    }

    /** "3 d 4 h", "2 h 5 min", "≥ 12 min", or null when the machine is not running. */
    public String text(Instant now) {
        if (since == null) {
            return null;
        }
        Duration d = Duration.between(since, now);
        if (d.isNegative()) {
            d = Duration.ZERO;
        }
        String t;
        if (d.toDays() > 0) {
            t = d.toDays() + " d " + d.toHoursPart() + " h";
        } else if (d.toHours() > 0) {
            t = d.toHours() + " h " + d.toMinutesPart() + " min";
        } else if (d.toMinutes() > 0) {
            t = d.toMinutes() + " min";
        } else {
            t = "< 1 min";
        }
        return exact ? t : "≥ " + t;
    }
}
