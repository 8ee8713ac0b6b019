package dev.berth.compute;

import java.util.Optional;

/** Which power action a machine's state allows, and in words why not when it does not. */
public final class PowerRules {
    private PowerRules() {
    }

    /** Empty when allowed; otherwise the reason, fit to show. */
    public static Optional<String> refusal(String name, DomainState state, PowerAction action) {
        if (state == DomainState.UNKNOWN) {
            return Optional.of("The host of " + name + " does not answer, so its state is unknown; try again when it is back.");
        }
        boolean allowed = switch (action) {
            case START -> state == DomainState.SHUTOFF || state == DomainState.CRASHED;
            case SHUTDOWN, REBOOT -> state == DomainState.RUNNING || state == DomainState.BLOCKED;
            case POWEROFF -> state != DomainState.SHUTOFF && state != DomainState.NOSTATE;
        };
        if (allowed) {
            return Optional.empty();
        }
        String now = state.name().toLowerCase(java.util.Locale.ROOT).replace("shutoff", "shut off");
        return Optional.of(switch (action) {
            case START -> name + " is " + now + "; only a shut-off or crashed machine can be started.";
            case SHUTDOWN -> name + " is " + now + "; only a running machine can be shut down.";
            case REBOOT -> name + " is " + now + "; only a running machine can be rebooted.";
            case POWEROFF -> name + " is already off.";
        });
    }
}
