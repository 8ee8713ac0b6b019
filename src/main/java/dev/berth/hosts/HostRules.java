package dev.berth.hosts;

import dev.berth.common.Errors;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The rules a host's registration must follow; the form and the API both go through here. */
public final class HostRules {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,62}");
    static final Pattern HOSTNAME = Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    static final Set<String> LIBVIRT_REMOTE = Set.of("qemu+ssh", "qemu+tls", "qemu+tcp");
    static final int PEM_MAX = 16_000;

    private HostRules() {
    }

    /** A registration after the rules: trimmed, kind resolved, labels normalised. */
    public record Valid(String name, HostKind kind, String uri, String storageAddress, String labels, boolean enabled,
                        String tlsCaPem, String tlsCertPem, String tlsKeyPem) {
    }

    /**
     * @param keyAlreadyStored on edit, a stored key lets the form leave the key field empty
     */
    public static Valid validate(HostInput in, boolean keyAlreadyStored) {
        var errors = new Errors();
        String name = errors.required("name", in.name(), 63);
        if (name != null && !NAME.matcher(name).matches()) {
            errors.add("name", "use letters, digits, dots, dashes and underscores (at most 63), starting with a letter or digit");
        }
        HostKind kind = null;
        String kindText = errors.required("kind", in.kind(), 16);
        if (kindText != null) {
            try {
                kind = HostKind.valueOf(kindText.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                errors.add("kind", "must be KVM or DOCKER");
            }
        }
        String uri = errors.required("uri", in.uri(), 500);
        if (uri != null && kind != null) {
            String problem = kind == HostKind.KVM ? libvirtUriProblem(uri) : dockerUriProblem(uri);
            if (problem != null) {
                errors.add("uri", problem);
            }
        }
        String storage = errors.optional("storageAddress", in.storageAddress(), 255);
        if (kind == HostKind.DOCKER && storage == null && !errors.has("storageAddress")) {
            errors.add("storageAddress", "is required for a Docker host: tenants' VMs reach their storage there");
        } else if (kind == HostKind.KVM && storage != null) {
            errors.add("storageAddress", "only Docker hosts have a storage address");
        } else if (storage != null && !IPV4.matcher(storage).matches() && !HOSTNAME.matcher(storage).matches()
                && !isIpv6(storage)) {
            errors.add("storageAddress", "must be an IP address or a host name");
        }
        String labels = null;
        try {
            labels = formatLabels(parseLabelsStrict(in.labels() == null ? "" : in.labels()));
            if (labels.length() > 1000) {
                errors.add("labels", "are too long (at most 1000 characters)");
            }
        } catch (IllegalArgumentException e) {
            errors.add("labels", e.getMessage());
        }
        String ca = pem(errors, "tlsCaPem", in.tlsCaPem(), "CERTIFICATE");
        String cert = pem(errors, "tlsCertPem", in.tlsCertPem(), "CERTIFICATE");
        String key = pem(errors, "tlsKeyPem", in.tlsKeyPem(), "PRIVATE KEY");
        boolean anyTls = ca != null || cert != null || key != null;
        boolean tcp = uri != null && uri.startsWith("tcp://");
        if (anyTls && (kind != HostKind.DOCKER || !tcp)) {
            errors.add("tlsCaPem", "TLS material is only for Docker hosts reached over tcp://");
        } else if (anyTls) {
            if (ca == null && !errors.has("tlsCaPem")) {
                errors.add("tlsCaPem", "is required with TLS");
            }
            if (cert == null && !errors.has("tlsCertPem")) {
                errors.add("tlsCertPem", "is required with TLS");
            }
            if (key == null && !keyAlreadyStored && !errors.has("tlsKeyPem")) {
                errors.add("tlsKeyPem", "is required with TLS");
            }
        }
        errors.throwIfAny();
        return new Valid(name, kind, uri, storage, labels, in.enabled() == null || in.enabled(), ca, cert, key);
    }

    /** A parsed URI and its lower-case scheme, or why the text is not a URI. */
    private record Parsed(URI uri, String scheme, String problem) {
        static Parsed of(String text) {
            try {
                URI uri = new URI(text);
                return new Parsed(uri, uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT), null);
            } catch (URISyntaxException e) {
                return new Parsed(null, "", "is not a URI: " + e.getReason());
            }
        }
    }

    static String libvirtUriProblem(String text) {
        Parsed p = Parsed.of(text);
        if (p.problem() != null) {
            return p.problem();
        }
        URI uri = p.uri();
        String scheme = p.scheme();
        if (scheme.equals("test")) {
            String path = uri.getPath();
            return path == null || path.isBlank() || path.equals("/") ? "test:/// needs 'default' or the absolute path of a host XML file" : null;
        }
        if (scheme.equals("qemu")) {
            return "/system".equals(uri.getPath()) || "/session".equals(uri.getPath()) ? null
                    : "a local libvirt URI is qemu:///system or qemu:///session";
        }
        if (LIBVIRT_REMOTE.contains(scheme)) {
            if (uri.getHost() == null) {
                return "needs a host, like " + scheme + "://kvm-01.example.org/system";
            }
            return "/system".equals(uri.getPath()) ? null : "must end in /system, like " + scheme + "://" + uri.getHost() + "/system";
        }
        return "must start with qemu+ssh://, qemu+tls://, qemu+tcp://, qemu:/// or test:///";
    }

    static String dockerUriProblem(String text) {
        Parsed p = Parsed.of(text);
        if (p.problem() != null) {
            return p.problem();
        }
        URI uri = p.uri();
        String scheme = p.scheme();
        if (scheme.equals("unix")) {
            return uri.getPath() != null && uri.getPath().startsWith("/") && uri.getPath().length() > 1 ? null
                    : "needs the socket's absolute path, like unix:///var/run/docker.sock";
        }
        if (scheme.equals("tcp")) {
            if (uri.getHost() == null || uri.getPort() <= 0) {
                return "needs a host and a port, like tcp://docker-01.example.org:2376";
            }
            return null;
        }
        return "must start with unix:// or tcp://";
    }

    private static boolean isIpv6(String s) {
        return s.contains(":") && s.matches("[0-9A-Fa-f:.]+");
    }

    private static String pem(Errors errors, String field, String text, String kind) {
        String v = errors.optional(field, text, PEM_MAX);
        if (v != null && !(v.contains("-----BEGIN ") && v.contains(kind) && v.contains("-----END "))) {
            errors.add(field, "must be PEM text (-----BEGIN " + kind + "----- …)");
            return null;
        }
        return v;
    }

    /** Labels as stored ("k=v,k2=v2"); lenient, for reading what the rules already let in. */
    public static Map<String, String> parseLabels(String text) {
        try {
            return parseLabelsStrict(text == null ? "" : text);
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
    }

    static Map<String, String> parseLabelsStrict(String text) {
        var labels = new LinkedHashMap<String, String>();
        for (String part : text.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            String key = (eq < 0 ? p : p.substring(0, eq)).trim();
            String value = eq < 0 ? "" : p.substring(eq + 1).trim();
            if (!LABEL_KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("'" + key + "' is not a label key; write labels as key=value, separated by commas");
            }
            if (value.length() > 63 || value.contains("=")) {
                throw new IllegalArgumentException("the value of '" + key + "' must be at most 63 characters without '='");
            }
            labels.put(key, value);
        }
        return labels;
    }

    static String formatLabels(Map<String, String> labels) {
        return String.join(",", labels.entrySet().stream()
                .map(e -> e.getValue().isEmpty() ? e.getKey() : e.getKey() + "=" + e.getValue()).toList());
    }
}
