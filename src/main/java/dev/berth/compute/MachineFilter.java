package dev.berth.compute;

import dev.berth.common.InvalidInputException;
import java.util.List;
import java.util.Locale;

/** Search and state filter for machine lists (pages and API alike). */
public final class MachineFilter {
    private MachineFilter() {
    }

    /** @param state a DomainState name, or "missing"; blank for all */
    public static List<MachineView> apply(List<MachineView> all, String q, String state) {
        String needle = q == null ? "" : q.trim().toLowerCase(Locale.ROOT);
        String s = state == null ? "" : state.trim().toUpperCase(Locale.ROOT);
        if (!s.isEmpty() && !s.equals("MISSING")) {
            try {
                DomainState.valueOf(s);
            } catch (IllegalArgumentException e) {
                throw InvalidInputException.of("state", "must be one of running, shutoff, paused, unknown, missing …");
            }
        }
        return all.stream()
                .filter(m -> needle.isEmpty() || m.name().toLowerCase(Locale.ROOT).contains(needle))
                .filter(m -> s.isEmpty() || (s.equals("MISSING") ? m.missing() : !m.missing() && m.state().name().equals(s)))
                .toList();
    }
}
