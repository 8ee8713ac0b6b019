package dev.berth.compute;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What decides about consoles, without libvirt or the network: whether a machine has a console to open, whether
 * a presented ticket opens it, where Berth may connect for its VNC server, and whether what answers there is one.
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

    /** A console Berth does not connect, with the reason (for the audit log; not a close frame). */
    public static final class UnreachableException extends Exception {
        /** True when Berth's rules refuse the target (audited DENIED); false when it cannot be reached (FAILED). */
        public final boolean forbidden;

        public UnreachableException(String message) {
            this(message, false);
        }

        UnreachableException(String message, boolean forbidden) {
            super(message);
            this.forbidden = forbidden;
        }
    }

    /** An inclusive range of TCP ports; a single port is a range of one. */
    public record PortRange(int from, int to) {
        public PortRange {
            if (from < 1 || to > 65535 || from > to) {
                throw new IllegalArgumentException("not a port range: " + from + "-" + to);
            }
        }

        boolean contains(int port) {
            return port >= from && port <= to;
        }

        @Override
        public String toString() {
            return from == to ? String.valueOf(from) : from + "-" + to;
        }
    }

    /**
     * The TCP ports a console may connect to: the range libvirt hands VNC displays out of ({@code remote_display_port_min}
     * and {@code _max} in qemu.conf, 5900-65535 by default) without the excluded ports. A domain's XML is not trusted
     * to name a port: a {@code <graphics port='8180'>} would otherwise tunnel the browser to whatever listens there.
     */
    public record PortPolicy(int min, int max, List<PortRange> excluded) {
        public PortPolicy {
            if (min < 1 || max > 65535 || min > max) {
                throw new IllegalArgumentException("berth.console.port-min/port-max must be a range within 1-65535, not "
                        + min + "-" + max);
            }
            excluded = List.copyOf(excluded);
        }

        public boolean allows(int port) {
            return port >= min && port <= max && excluded.stream().noneMatch(r -> r.contains(port));
        }

        /** The same policy with more excluded ranges. */
        public PortPolicy excluding(Collection<PortRange> more) {
            List<PortRange> all = new ArrayList<>(excluded);
            all.addAll(more);
            return new PortPolicy(min, max, all);
        }

        @Override
        public String toString() {
            return min + "-" + max + (excluded.isEmpty() ? "" : " without " + excluded.stream().map(PortRange::toString)
                    .distinct().collect(Collectors.joining(", ")));
        }
    }

    /**
     * Parses {@code berth.console.excluded-ports}: comma-separated ports and ranges ({@code 8180, 19000-19999}), or
     * {@code none}.
     *
     * @throws IllegalArgumentException naming the entry that is not a port or range
     */
    public static List<PortRange> ports(String list) {
        if (list == null || list.isBlank() || list.trim().equalsIgnoreCase("none")) {
            return List.of();
        }
        List<PortRange> out = new ArrayList<>();
        for (String entry : list.split(",")) {
            String e = entry.trim();
            if (e.isEmpty()) {
                continue;
            }
            try {
                int dash = e.indexOf('-');
                out.add(dash < 0 ? new PortRange(Integer.parseInt(e), Integer.parseInt(e))
                        : new PortRange(Integer.parseInt(e.substring(0, dash).trim()), Integer.parseInt(e.substring(dash + 1).trim())));
            } catch (IllegalArgumentException ex) { // NumberFormatException is one
                throw new IllegalArgumentException("berth.console.excluded-ports: \"" + e
                        + "\" is not a port or a range like 19000-19999", ex);
            }
        }
        return List.copyOf(out);
    }

    /**
     * Where Berth connects for a machine's VNC display: only the machine's own KVM host, and only a console port.
     * The host comes from the libvirt URI the administrator registered, never from the domain's XML (which whoever
     * defines domains controls): on a local host ({@code qemu:///system}, {@code test:///…}, a loopback host in the
     * URI) loopback, on a remote host the host named in the URI. A listen address in the XML only decides whether that
     * works: a local VNC server must listen on loopback or on every address (QEMU's default is loopback); a remote
     * one on its own loopback cannot be reached.
     *
     * @throws UnreachableException {@code forbidden} when the port is not a console port or a local display listens
     *                              elsewhere than loopback; otherwise when the display has no port or cannot be reached
     */
    public static Target target(String libvirtUri, DomainDetail.Graphics graphics, PortPolicy ports) throws UnreachableException {
        if (graphics == null || graphics.port() <= 0 || graphics.port() > 65535) {
            throw new UnreachableException("the machine's VNC display has no TCP port");
        }
        int port = graphics.port();
        if (!ports.allows(port)) {
            throw new UnreachableException("its VNC port " + port + " is not a console port (" + ports
                    + "); Berth did not connect", true);
        }
        String remote = remoteHost(libvirtUri);
        String listen = graphics.listen() == null || graphics.listen().isBlank() ? null : unbracket(graphics.listen().trim());
        if (remote == null) {
            if (listen == null || wildcard(listen)) {
                return new Target("127.0.0.1", port);
            }
            if (loopback(listen)) {
                return new Target(listen.equalsIgnoreCase("localhost") ? "127.0.0.1" : listen, port);
            }
            throw new UnreachableException("its VNC server listens on " + listen + ", but Berth reaches a local host's"
                    + " consoles on loopback only; give the domain's <graphics> listen='127.0.0.1'", true);
        }
        if (listen != null && loopback(listen)) {
            throw new UnreachableException("its VNC server listens only on the loopback of host " + remote
                    + "; give the domain's <graphics> a listen address Berth can reach");
        }
        return new Target(remote, port);
    }

    /** Bytes of the RFB ProtocolVersion message a VNC server sends first (RFC 6143 §7.1.1). */
    public static final int RFB_BANNER_BYTES = 12;

    /**
     * Whether a server's first 12 bytes are an RFB greeting: {@code "RFB 003.00x\n"}. RFC 6143 defines 3.3, 3.7 and
     * 3.8 (QEMU sends 3.8) and reads other 3.x minors as 3.3, so 003.003-003.008 pass. Anything else (an HTTP status
     * line, an SSH banner, a database's greeting) is not a VNC server, and Berth relays nothing of it.
     */
    public static boolean rfbBanner(byte[] first) {
        if (first == null || first.length < RFB_BANNER_BYTES) {
            return false;
        }
        String s = new String(first, 0, RFB_BANNER_BYTES, StandardCharsets.ISO_8859_1);
        return s.startsWith("RFB 003.00") && s.charAt(10) >= '3' && s.charAt(10) <= '8' && s.charAt(11) == '\n';
    }

    /** Up to 12 bytes a server sent, printable for the audit log: ASCII as is, the rest as \xNN. */
    public static String printable(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(length, RFB_BANNER_BYTES); i++) {
            int b = bytes[i] & 0xff;
            if (b >= 0x20 && b < 0x7f && b != '\\' && b != '"') {
                out.append((char) b);
            } else {
                out.append(String.format("\\x%02x", b));
            }
        }
        return out.toString();
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

    /** Loopback by its literal only: "127.evil.example" is a host name that DNS may send anywhere. */
    private static boolean loopback(String address) {
        String a = unbracket(address).toLowerCase(Locale.ROOT);
        return a.equals("localhost") || IPV4_LOOPBACK.matcher(a).matches() || a.equals("::1") || a.equals("0:0:0:0:0:0:0:1");
    }

    private static final Pattern IPV4_LOOPBACK = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    private static String unbracket(String address) {
        return address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
    }
}
