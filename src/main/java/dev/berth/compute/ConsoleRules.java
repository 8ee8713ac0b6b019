package dev.berth.compute;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * What decides about consoles, without libvirt or the network: whether a machine has a console to open, whether
 * a presented ticket opens it, and where its VNC server is reachable from Berth.
 */
public final class ConsoleRules {
    private ConsoleRules() {
    }

    /** Why a ticket is refused; the message is short enough for a WebSocket close frame (≤ 123 bytes). */
    public enum Refusal {
        MISSING("No console ticket: ask for one first."),
        UNKNOWN("Unknown console ticket."),
        OTHER_USER("This console ticket belongs to another user."),
        OTHER_MACHINE("This console ticket is for another machine."),
        USED("This console ticket was used already; tickets are single-use."),
        EXPIRED("This console ticket expired; ask for a new one.");

        public final String message;

        Refusal(String message) {
            this.message = message;
        }
    }

    /** The facts of a stored ticket that the decision needs. */
    public record Ticket(String username, long machineId, Instant expiresAt, Instant usedAt) {
    }

    /**
     * Whether a presented ticket opens this machine's console now.
     *
     * @param presented what the client sent (null or blank: none)
     * @param stored    the stored ticket with that hash, or null
     * @param presenter the signed-in user of the WebSocket request, or null when it carries no session (then the
     *                  ticket alone authenticates)
     */
    public static Optional<Refusal> refusal(String presented, Ticket stored, long machineId, String presenter, Instant now) {
        if (presented == null || presented.isBlank()) {
            return Optional.of(Refusal.MISSING);
        }
        if (stored == null) {
            return Optional.of(Refusal.UNKNOWN);
        }
        // Someone else's ticket or another machine's: said before "used"/"expired", which would hint it was valid.
        if (presenter != null && !presenter.equals(stored.username())) {
            return Optional.of(Refusal.OTHER_USER);
        }
        if (stored.machineId() != machineId) {
            return Optional.of(Refusal.OTHER_MACHINE);
        }
        if (stored.usedAt() != null) {
            return Optional.of(Refusal.USED);
        }
        if (!now.isBefore(stored.expiresAt())) {
            return Optional.of(Refusal.EXPIRED);
        }
        return Optional.empty();
    }

    /**
     * Why this machine has no console to open, or empty when it has one.
     *
     * @param graphics the first graphics device of the running domain, or null
     */
    public static Optional<String> unavailable(MachineView machine, DomainDetail.Graphics graphics) {
        if (machine.missing()) {
            return Optional.of(machine.name() + " is missing from its host, so it has no console.");
        }
        if (machine.state() == DomainState.UNKNOWN) {
            return Optional.of("The host of " + machine.name() + " does not answer, so its console cannot be opened now.");
        }
        if (!machine.state().active()) {
            return Optional.of(machine.name() + " is " + machine.stateText() + ": start it to open its console.");
        }
        if (graphics == null) {
            return Optional.of(machine.name() + " has no graphical display (no <graphics> device in its definition).");
        }
        if (!"vnc".equalsIgnoreCase(graphics.type())) {
            return Optional.of(machine.name() + " has a " + graphics.type() + " display; Berth's console speaks VNC only.");
        }
        if (graphics.port() <= 0 || graphics.port() > 65535) {
            return Optional.of(machine.name() + "'s VNC display has no TCP port (not assigned yet, or a UNIX socket).");
        }
        return Optional.empty();
    }

    /**
     * Why the machine page's Console button is disabled, or null when it is enabled.
     *
     * @param display the display type the page saw in the definition ("vnc", "spice" …, "none"), or null when unknown
     */
    public static String buttonRefusal(MachineView machine, String display) {
        if (machine.missing() || !machine.state().active()) {
            return unavailable(machine, null).orElseThrow();
        }
        if ("none".equals(display)) {
            return machine.name() + " has no graphical display.";
        }
        if (display != null && !"vnc".equals(display)) {
            return machine.name() + " has a " + display + " display; Berth's console speaks VNC only.";
        }
        return null;
    }

    /** Normalizes a display type for {@link #buttonRefusal}: lower case letters only, else null. */
    public static String display(String type) {
        if (type == null) {
            return null;
        }
        String t = type.trim().toLowerCase(Locale.ROOT);
        return t.matches("[a-z]{1,16}") ? t : null;
    }

    /** Where Berth connects to reach a VNC server. */
    public record Target(String host, int port) {
    }

    /** A console that cannot be reached from Berth, with the reason. */
    public static final class UnreachableException extends Exception {
        public UnreachableException(String message) {
            super(message);
        }
    }

    /**
     * The VNC server's address as seen from Berth. On a local host ({@code qemu:///system}, no host in the URI)
     * the listen address, or loopback when QEMU listens on every address (or says nothing: QEMU's default is
     * loopback). On a remote host the listen address when it is a specific one, else the host's address as the
     * admin registered it in the libvirt URI; a remote VNC server that listens on its own loopback is unreachable.
     */
    public static Target target(String libvirtUri, DomainDetail.Graphics graphics) throws UnreachableException {
        if (graphics == null || graphics.port() <= 0 || graphics.port() > 65535) {
            throw new UnreachableException("the machine's VNC display has no TCP port");
        }
        String remote = remoteHost(libvirtUri);
        String listen = graphics.listen() == null || graphics.listen().isBlank() ? null : graphics.listen().trim();
        if (remote == null) {
            return new Target(listen == null || wildcard(listen) ? "127.0.0.1" : unbracket(listen), graphics.port());
        }
        if (listen != null && loopback(listen)) {
            throw new UnreachableException("its VNC server listens only on the loopback of host " + remote
                    + "; give the domain's <graphics> a listen address Berth can reach");
        }
        return new Target(listen == null || wildcard(listen) ? remote : unbracket(listen), graphics.port());
    }

    /** The host named in a libvirt URI, or null when the URI names none or only this machine. */
    static String remoteHost(String libvirtUri) {
        if (libvirtUri == null) {
            return null;
        }
        try {
            String host = new URI(libvirtUri.trim()).getHost();
            if (host == null || host.isBlank() || loopback(host)) {
                return null;
            }
            return unbracket(host);
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private static boolean wildcard(String address) {
        String a = unbracket(address);
        return a.equals("0.0.0.0") || a.equals("::") || a.equals("0:0:0:0:0:0:0:0");
    }

    private static boolean loopback(String address) {
        String a = unbracket(address).toLowerCase(Locale.ROOT);
        return a.equals("localhost") || a.startsWith("127.") || a.equals("::1") || a.equals("0:0:0:0:0:0:0:1");
    }

    private static String unbracket(String address) {
        return address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
    }
}
