package dev.berth.storage.instance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * The Linux traffic-control side of {@link TrafficShaper}, as shell scripts for the helper container and parsers of
 * what {@code tc} prints. Pure: the Docker adapter runs the scripts.
 *
 * <p>Layout on the interface that holds the storage address (on loopback both directions of a connection leave
 * through it): an HTB root qdisc {@code b1:} with {@code default 0}, so unclassified traffic goes out directly and
 * unshaped; per capped instance a class {@code b1:<port>} and a u32 filter at priority {@code <port>} matching TCP
 * source port = the instance's port (downloads). Uploads: the ingress qdisc redirects (mirred) TCP packets to that
 * port to an IFB device, shaped there the same way. The ingress filter's action carries a cookie: "brth", CRC-32 of
 * the scope, the instance id — the rules' label. Nothing is shaped without a port filter. Every change runs under
 * {@code flock} on the host, so two deployments sharing a host do not interleave; qdiscs and the IFB device are
 * removed when the last class under them goes.
 */
final class Tc {
    static final String LOCK = "/run/lock/berth-tc.lock";
    private static final String MAGIC = "62727468"; // "brth"
    private static final Pattern ADDRESS = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
    private static final Pattern CLASS = Pattern.compile("class htb b1:([0-9a-f]+) .*?rate (\\d+(?:\\.\\d+)?)([KMGT]?)bit");
    private static final Pattern SENT = Pattern.compile("Sent (\\d+) bytes");
    private static final ObjectMapper JSON = new ObjectMapper();

    private Tc() {
    }

    /** The label of an instance's rules: 16 bytes, hex. */
    static String cookie(String scope, long instanceId) {
        return MAGIC + scopeTag(scope) + String.format(Locale.ROOT, "%016x", instanceId);
    }

    static String scopeTag(String scope) {
        var crc = new CRC32();
        crc.update(scope.getBytes(StandardCharsets.UTF_8));
        return String.format(Locale.ROOT, "%08x", crc.getValue());
    }

    // ------------------------------------------------------------------ scripts

    private static String prelude(String address) {
        if (!ADDRESS.matcher(address).matches()) { // it goes into a shell script
            throw new IllegalArgumentException("not an IP address: " + address);
        }
        return """
                set -u
                DEV=$(ip -o addr show to %s | awk '{print $2; exit}')
                if [ -z "$DEV" ]; then echo "berth-error: no interface of this host holds %s"; exit 3; fi
                IFB=$(printf 'bifb-%%s' "$DEV" | cut -c1-15)
                """.formatted(address, address);
    }

    private static final String SHOW = """
            echo "@dev $DEV"
            echo "@qdisc"; tc -j qdisc show dev "$DEV"
            echo; echo "@classes"; tc -s class show dev "$DEV"
            echo "@filters"; tc -j filter show dev "$DEV" parent b1: 2>/dev/null || echo '[]'
            echo; echo "@ingress"; tc -j filter show dev "$DEV" parent ffff: 2>/dev/null || echo '[]'
            echo
            if ip link show "$IFB" >/dev/null 2>&1; then
              echo "@ifbclasses"; tc -s class show dev "$IFB"
              echo "@ifbfilters"; tc -j filter show dev "$IFB" parent b1: 2>/dev/null || echo '[]'
              echo
            fi
            echo "@end"
            """;

    static String observeScript(String address) {
        return prelude(address) + SHOW;
    }

    /**
     * Sets each cap (class rates changed live with {@code replace}; filters re-made only where missing or unlabelled)
     * and removes the rules of the given ports, then prints the rules as {@link #observeScript} does.
     */
    static String applyScript(String address, String scope, List<TrafficShaper.Cap> set, List<Integer> remove) {
        var s = new StringBuilder(prelude(address));
        s.append("exec 9>").append(LOCK).append("\nflock -w 15 9 || { echo 'berth-error: lock busy'; exit 4; }\n");
        s.append("""
                fail() { echo "berth-error: $*"; exit 5; }
                ROOT=$(tc qdisc show dev "$DEV" root)
                """);
        if (!set.isEmpty()) {
            s.append("""
                    case "$ROOT" in
                      *"htb b1:"*) ;;
                      *noqueue*|*"pfifo_fast 0:"*|*"mq 0:"*|"") tc qdisc replace dev "$DEV" root handle b1: htb default 0 || fail "cannot add the root qdisc on $DEV" ;;
                      *) fail "$DEV has a root qdisc Berth did not make ($ROOT); caps are not applied" ;;
                    esac
                    ip link show "$IFB" >/dev/null 2>&1 || ip link add "$IFB" type ifb || fail "cannot add $IFB"
                    ip link set "$IFB" mtu "$(ip -o link show dev "$DEV" | sed -n 's/.* mtu \\([0-9]*\\).*/\\1/p')" up || fail "cannot start $IFB"
                    tc qdisc show dev "$IFB" root | grep -q "htb b1:" || tc qdisc replace dev "$IFB" root handle b1: htb default 0 || fail "cannot shape $IFB"
                    tc qdisc show dev "$DEV" ingress | grep -q "ingress ffff:" || tc qdisc add dev "$DEV" handle ffff: ingress || fail "cannot add the ingress qdisc on $DEV"
                    """);
        }
        for (TrafficShaper.Cap c : set) {
            int p = c.port();
            String hex = Integer.toHexString(p);
            long bits = c.bytesPerSecond() * 8;
            // burst: at least two of loopback's 64 KiB segments, else about 10 ms at the rate
            long burst = Math.max(256 * 1024, c.bytesPerSecond() / 100);
            String htb = " htb rate " + bits + "bit ceil " + bits + "bit burst " + burst + " cburst " + burst + " quantum 65536";
            String v4sport = match(p, 20);
            String v4dport = match(p, 22);
            String v6sport = match6(p, 40);
            String v6dport = match6(p, 42);
            String cookie = cookie(scope, c.instanceId());
            s.append("tc class replace dev \"$DEV\" parent b1: classid b1:").append(hex).append(htb).append(" || fail \"class ").append(p).append("\"\n");
            s.append("tc class replace dev \"$IFB\" parent b1: classid b1:").append(hex).append(htb).append(" || fail \"ifb class ").append(p).append("\"\n");
            // filters: re-made unless exactly one set with our label is there
            s.append("if [ \"$(tc filter show dev \"$DEV\" parent b1: prio ").append(p).append(" | grep -c 'flowid b1:").append(hex).append("')\" != 2 ]; then\n")
                    .append("  tc filter del dev \"$DEV\" parent b1: prio ").append(p).append(" 2>/dev/null\n")
                    .append("  tc filter add dev \"$DEV\" parent b1: prio ").append(p).append(" protocol all u32").append(v4sport).append(" flowid b1:").append(hex).append(" || fail \"filter ").append(p).append("\"\n")
                    .append("  tc filter add dev \"$DEV\" parent b1: prio ").append(p).append(" protocol all u32").append(v6sport).append(" flowid b1:").append(hex).append(" || fail \"filter6 ").append(p).append("\"\n")
                    .append("fi\n");
            s.append("if [ \"$(tc filter show dev \"$IFB\" parent b1: prio ").append(p).append(" | grep -c 'flowid b1:").append(hex).append("')\" != 2 ]; then\n")
                    .append("  tc filter del dev \"$IFB\" parent b1: prio ").append(p).append(" 2>/dev/null\n")
                    .append("  tc filter add dev \"$IFB\" parent b1: prio ").append(p).append(" protocol all u32").append(v4dport).append(" flowid b1:").append(hex).append(" || fail \"ifb filter ").append(p).append("\"\n")
                    .append("  tc filter add dev \"$IFB\" parent b1: prio ").append(p).append(" protocol all u32").append(v6dport).append(" flowid b1:").append(hex).append(" || fail \"ifb filter6 ").append(p).append("\"\n")
                    .append("fi\n");
            s.append("if [ \"$(tc -j filter show dev \"$DEV\" parent ffff: prio ").append(p).append(" | grep -o '\"cookie\":\"").append(cookie).append("\"' | wc -l)\" != 2 ]; then\n")
                    .append("  tc filter del dev \"$DEV\" parent ffff: prio ").append(p).append(" 2>/dev/null\n")
                    .append("  tc filter add dev \"$DEV\" parent ffff: prio ").append(p).append(" protocol all u32").append(v4dport)
                    .append(" action mirred egress redirect dev \"$IFB\" cookie ").append(cookie).append(" || fail \"ingress ").append(p).append("\"\n")
                    .append("  tc filter add dev \"$DEV\" parent ffff: prio ").append(p).append(" protocol all u32").append(v6dport)
                    .append(" action mirred egress redirect dev \"$IFB\" cookie ").append(cookie).append(" || fail \"ingress6 ").append(p).append("\"\n")
                    .append("fi\n");
        }
        for (int p : remove) {
            String hex = Integer.toHexString(p);
            s.append("tc filter del dev \"$DEV\" parent ffff: prio ").append(p).append(" 2>/dev/null\n");
            s.append("tc filter del dev \"$DEV\" parent b1: prio ").append(p).append(" 2>/dev/null\n");
            s.append("tc class del dev \"$DEV\" classid b1:").append(hex).append(" 2>/dev/null\n");
            s.append("if ip link show \"$IFB\" >/dev/null 2>&1; then tc filter del dev \"$IFB\" parent b1: prio ").append(p)
                    .append(" 2>/dev/null; tc class del dev \"$IFB\" classid b1:").append(hex).append(" 2>/dev/null; fi\n");
        }
        // The last class gone: take away what Berth added, leaving the interface as it was.
        s.append("""
                if tc qdisc show dev "$DEV" root | grep -q "htb b1:" && [ -z "$(tc class show dev "$DEV")" ]; then tc qdisc del dev "$DEV" root; fi
                if tc qdisc show dev "$DEV" ingress | grep -q "ingress ffff:" && [ -z "$(tc filter show dev "$DEV" parent ffff:)" ]; then tc qdisc del dev "$DEV" ingress; fi
                if ip link show "$IFB" >/dev/null 2>&1 && [ -z "$(tc class show dev "$IFB")" ]; then ip link del "$IFB"; fi
                """);
        return s.append(SHOW).toString();
    }

    /** TCP over IPv4 (header without options) with the 16-bit port at this offset. */
    private static String match(int port, int offset) {
        return " match u8 0x40 0xf0 at 0 match u8 6 0xff at 9 match u16 " + port + " 0xffff at " + offset;
    }

    /** TCP directly after the IPv6 header. */
    private static String match6(int port, int offset) {
        return " match u8 0x60 0xf0 at 0 match u8 6 0xff at 6 match u16 " + port + " 0xffff at " + offset;
    }

    // ------------------------------------------------------------------ parsing

    /** @throws IllegalStateException when the script said what went wrong, or printed something unexpected */
    static TrafficShaper.HostRules parse(String output, String scope) {
        Matcher error = Pattern.compile("berth-error: (.*)").matcher(output);
        if (error.find()) {
            throw new IllegalStateException(error.group(1).strip());
        }
        Map<String, String> sections = sections(output);
        if (!sections.containsKey("end")) {
            throw new IllegalStateException("the traffic-control helper stopped early: " + tail(output));
        }
        String device = sections.getOrDefault("dev", "").strip();
        Map<Integer, long[]> egress = classes(sections.getOrDefault("classes", ""));
        Map<Integer, long[]> ingress = classes(sections.getOrDefault("ifbclasses", ""));
        Map<Integer, Integer> egressFilters = filterCounts(sections.getOrDefault("filters", "[]"));
        Map<Integer, Integer> ifbFilters = filterCounts(sections.getOrDefault("ifbfilters", "[]"));
        Map<Integer, List<String>> cookies = cookies(sections.getOrDefault("ingress", "[]"));
        var ports = new TreeSet<Integer>();
        ports.addAll(egress.keySet());
        ports.addAll(ingress.keySet());
        ports.addAll(egressFilters.keySet());
        ports.addAll(ifbFilters.keySet());
        ports.addAll(cookies.keySet());
        String tag = MAGIC + scopeTag(scope);
        var rules = new ArrayList<TrafficShaper.Rule>();
        for (int port : ports) {
            List<String> c = cookies.getOrDefault(port, List.of());
            Long instance = null;
            boolean ours = false;
            if (!c.isEmpty() && c.stream().distinct().count() == 1 && c.getFirst().startsWith(tag) && c.getFirst().length() == 32) {
                ours = true;
                instance = Long.parseUnsignedLong(c.getFirst().substring(16), 16);
            }
            long[] e = egress.get(port);
            long[] i = ingress.get(port);
            boolean complete = e != null && i != null && egressFilters.getOrDefault(port, 0) == 2
                    && ifbFilters.getOrDefault(port, 0) == 2 && c.size() == 2 && ours;
            rules.add(new TrafficShaper.Rule(port, instance, ours, e == null ? 0 : e[0], i == null ? 0 : i[0], complete,
                    e == null ? 0 : e[1], i == null ? 0 : i[1]));
        }
        return new TrafficShaper.HostRules(device, List.copyOf(rules));
    }

    private static Map<String, String> sections(String output) {
        var map = new HashMap<String, String>();
        String name = null;
        var body = new StringBuilder();
        for (String line : output.split("\n", -1)) {
            if (line.startsWith("@")) {
                if (name != null) {
                    map.put(name, body.toString());
                }
                String[] parts = line.substring(1).split(" ", 2);
                name = parts[0].strip();
                body.setLength(0);
                if (parts.length > 1) {
                    body.append(parts[1]);
                }
            } else if (name != null) {
                body.append(line).append('\n');
            }
        }
        if (name != null) {
            map.put(name, body.toString());
        }
        return map;
    }

    /** Port → {rate in bytes/s, bytes sent} of the HTB classes b1:&lt;port&gt; ({@code tc -s class show}, text). */
    static Map<Integer, long[]> classes(String text) {
        var map = new HashMap<Integer, long[]>();
        String[] blocks = text.split("(?m)^(?=class )");
        for (String block : blocks) {
            Matcher m = CLASS.matcher(block);
            if (!m.find()) {
                continue;
            }
            int port = Integer.parseInt(m.group(1), 16);
            double value = Double.parseDouble(m.group(2));
            long factor = switch (m.group(3)) {
                case "K" -> 1_000L;
                case "M" -> 1_000_000L;
                case "G" -> 1_000_000_000L;
                case "T" -> 1_000_000_000_000L;
                default -> 1L;
            };
            long bytesPerSecond = Math.round(value * factor / 8);
            Matcher sent = SENT.matcher(block);
            map.put(port, new long[] {bytesPerSecond, sent.find() ? Long.parseLong(sent.group(1)) : 0});
        }
        return map;
    }

    /** Priority → number of u32 match filters (not the hash-table entries) there. */
    private static Map<Integer, Integer> filterCounts(String json) {
        var map = new HashMap<Integer, Integer>();
        for (JsonNode f : array(json)) {
            if (f.path("options").has("match") || f.path("options").has("flowid")) {
                map.merge(f.path("pref").asInt(), 1, Integer::sum);
            }
        }
        return map;
    }

    private static Map<Integer, List<String>> cookies(String json) {
        var map = new HashMap<Integer, List<String>>();
        for (JsonNode f : array(json)) {
            for (JsonNode a : f.path("options").path("actions")) {
                if ("mirred".equals(a.path("kind").asText())) {
                    map.computeIfAbsent(f.path("pref").asInt(), k -> new ArrayList<>()).add(a.path("cookie").asText(""));
                }
            }
        }
        return map;
    }

    private static JsonNode array(String json) {
        String t = json.strip();
        if (t.isEmpty()) {
            return JSON.createArrayNode();
        }
        try {
            return JSON.readTree(t);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read what tc printed: " + tail(t), e);
        }
    }

    private static String tail(String s) {
        String t = s.strip();
        return t.length() > 400 ? "…" + t.substring(t.length() - 400) : t;
    }
}
