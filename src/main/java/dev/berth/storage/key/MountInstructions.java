package dev.berth.storage.key;

import io.quarkus.qute.TemplateData;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Copy-paste-ready snippets that mount or reach one bucket with one key: s3fs, rclone, mc and the AWS CLI.
 *
 * <p>The secret is shown once: the snippets rendered when a key is created carry it; rendered later they carry
 * {@link #SECRET_PLACEHOLDER} in its place, to be replaced by the secret saved at creation. Commands are written
 * to run as root on the VM; files go under {@value #CONFIG_DIR} and mount points under {@code /mnt/<bucket>}.
 */
public final class MountInstructions {
    public static final String SECRET_PLACEHOLDER = "<SECRET>";
    public static final String CONFIG_DIR = "/etc/berth";
    /** Where every snippet puts the instances' CA certificate on the VM. */
    public static final String CA_FILE = CONFIG_DIR + "/berth-ca.crt";
    /** Debian/Ubuntu's directory of local CAs that {@code update-ca-certificates} adds to the system store. */
    public static final String SYSTEM_CA_FILE = "/usr/local/share/ca-certificates/berth-ca.crt";

    private MountInstructions() {
    }

    public enum Tool {
        S3FS("s3fs"), RCLONE("rclone"), MC("mc"), AWSCLI("awscli");

        private final String id;

        Tool(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Optional<Tool> parse(String text) {
            if (text == null) {
                return Optional.empty();
            }
            String t = text.trim().toLowerCase(Locale.ROOT);
            for (Tool tool : values()) {
                if (tool.id.equals(t)) {
                    return Optional.of(tool);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * What the snippets are for: the instance's endpoint, the bucket, the key, (at creation only) its secret, and the
     * CA certificate (PEM) the instance's certificate chains to: every snippet verifies the instance with it.
     */
    public record Target(String endpoint, String region, String bucket, String accessKey, String secret, KeyMode mode,
                         String caPem) {
        public Target(String endpoint, String region, String bucket, String accessKey, String secret, KeyMode mode) {
            this(endpoint, region, bucket, accessKey, secret, mode, null);
        }

        public String secretOrPlaceholder() {
            return secret == null ? SECRET_PLACEHOLDER : secret;
        }

        public String url() {
            return endpoint.replaceAll("/+$", "");
        }

        /** rclone remote, mc alias and AWS profile name: letters, digits and dashes only. */
        String alias() {
            return "berth-" + bucket.replace('.', '-');
        }

        String mountPoint() {
            return "/mnt/" + bucket;
        }

        boolean readOnly() {
            return mode == KeyMode.READ_ONLY;
        }
    }

    @TemplateData
    public record Snippet(String id, String title, String text, String note) {
    }

    @TemplateData
    public record ToolSnippets(String tool, String title, List<Snippet> snippets) {
    }

    public static List<ToolSnippets> all(Target t) {
        var all = new ArrayList<ToolSnippets>();
        for (Tool tool : Tool.values()) {
            all.add(of(tool, t));
        }
        return all;
    }

    public static ToolSnippets of(Tool tool, Target t) {
        return switch (tool) {
            case S3FS -> new ToolSnippets(tool.id(), "s3fs", s3fs(t));
            case RCLONE -> new ToolSnippets(tool.id(), "rclone", rclone(t));
            case MC -> new ToolSnippets(tool.id(), "MinIO client (mc)", mc(t));
            case AWSCLI -> new ToolSnippets(tool.id(), "AWS CLI", awscli(t));
        };
    }

    /** Writes the CA certificate to {@link #CA_FILE}; the first step of every tool. */
    static Snippet caFile(String tool, Target t) {
        return new Snippet(tool + "-ca", "Trust the storage CA",
                "mkdir -p " + CONFIG_DIR + "\n"
                        + "cat > " + CA_FILE + " <<'EOF'\n" + t.caPem().strip() + "\nEOF\n",
                "The certificate authority that signed your instance's certificate. Check its fingerprint against the "
                        + "Storage page before you rely on it. The commands below verify the instance with it; none skips verification.");
    }

    /** Debian/Ubuntu: adds the CA to the system store (what s3fs mounted from /etc/fstab, and most tools, use). */
    static Snippet caSystem(String tool) {
        return new Snippet(tool + "-ca-system", "Or trust it system-wide (Debian/Ubuntu)",
                "cp " + CA_FILE + " " + SYSTEM_CA_FILE + "\n"
                        + "update-ca-certificates\n",
                "Every program that uses the system's certificate store then trusts the instance. Remove the file and run "
                        + "update-ca-certificates --fresh to undo.");
    }

    static boolean tls(Target t) {
        return t.caPem() != null;
    }

    static String s3fsPasswordFile(Target t) {
        return CONFIG_DIR + "/" + t.bucket() + ".passwd-s3fs";
    }

    static String rcloneConfigFile(Target t) {
        return CONFIG_DIR + "/" + t.bucket() + ".rclone.conf";
    }

    private static List<Snippet> s3fs(Target t) {
        String passwd = s3fsPasswordFile(t);
        String options = "passwd_file=" + passwd + ",url=" + t.url() + ",use_path_request_style,allow_other,umask=0022,mp_umask=0022"
                + (t.readOnly() ? ",ro" : "");
        var list = new ArrayList<Snippet>();
        if (tls(t)) {
            list.add(caFile("s3fs", t));
            list.add(caSystem("s3fs"));
        }
        list.addAll(List.of(
                new Snippet("s3fs-passwd", "Password file",
                        "mkdir -p " + CONFIG_DIR + "\n"
                                + "(umask 077; printf '%s\\n' '" + t.accessKey() + ":" + t.secretOrPlaceholder() + "' > " + passwd + ")",
                        "The file holds one line, ACCESS_KEY:SECRET, readable by root only (s3fs refuses others)."),
                new Snippet("s3fs-mount", "Mount now",
                        "mkdir -p " + t.mountPoint() + "\n"
                                + (tls(t) ? "CURL_CA_BUNDLE=" + CA_FILE + " " : "")
                                + "s3fs " + t.bucket() + " " + t.mountPoint() + " -o " + options,
                        "allow_other, umask=0022 and mp_umask=0022 let users other than root read the files (objects written by other S3 clients carry no mode of their own); use_path_request_style is what MinIO expects."
                                + (tls(t) ? " CURL_CA_BUNDLE makes s3fs verify the instance against the storage CA alone." : "")
                                + (t.readOnly() ? " The key is read-only, so the mount is too (ro)." : "")),
                new Snippet("s3fs-fstab", "/etc/fstab line (mounted at boot, after the network)",
                        t.bucket() + " " + t.mountPoint() + " fuse.s3fs _netdev," + options + " 0 0",
                        (tls(t) ? "Needs the storage CA in the system store (the system-wide snippet above): a mount from fstab "
                                + "gets no environment. " : "")
                                + "Then: mkdir -p " + t.mountPoint() + " && mount " + t.mountPoint())));
        return list;
    }

    static String rcloneSection(Target t) {
        return "[" + t.alias() + "]\n"
                + "type = s3\n"
                + "provider = Minio\n"
                + "access_key_id = " + t.accessKey() + "\n"
                + "secret_access_key = " + t.secretOrPlaceholder() + "\n"
                + "endpoint = " + t.url() + "\n"
                + "region = " + t.region() + "\n"
                + "force_path_style = true\n"
                + "no_check_bucket = true\n";
    }

    static String rcloneMountArgs(Target t) {
        return "rclone mount " + t.alias() + ":" + t.bucket() + " " + t.mountPoint() + " --config " + rcloneConfigFile(t)
                + (tls(t) ? " --ca-cert " + CA_FILE : "")
                + " --vfs-cache-mode writes --allow-other --umask 022" + (t.readOnly() ? " --read-only" : "");
    }

    private static List<Snippet> rclone(Target t) {
        String unit = "rclone-" + t.alias() + ".service";
        var list = new ArrayList<Snippet>();
        if (tls(t)) {
            list.add(caFile("rclone", t));
        }
        list.addAll(List.of(
                new Snippet("rclone-config", "Config section", rcloneSection(t),
                        "Paste into an rclone.conf, or write it to its own file with the next snippet."),
                new Snippet("rclone-config-file", "Write the config file",
                        "mkdir -p " + CONFIG_DIR + "\n"
                                + "(umask 077; cat > " + rcloneConfigFile(t) + " <<'EOF'\n" + rcloneSection(t) + "EOF\n)",
                        null),
                new Snippet("rclone-mount", "Mount now",
                        "mkdir -p " + t.mountPoint() + "\n" + rcloneMountArgs(t) + " --daemon",
                        "--allow-other lets users other than root read the files (as non-root it needs user_allow_other in /etc/fuse.conf)."),
                new Snippet("rclone-systemd", "systemd unit: /etc/systemd/system/" + unit,
                        "[Unit]\n"
                                + "Description=Bucket " + t.bucket() + " mounted with rclone (Berth)\n"
                                + "Wants=network-online.target\n"
                                + "After=network-online.target\n\n"
                                + "[Service]\n"
                                + "Type=notify\n"
                                + "ExecStartPre=/bin/mkdir -p " + t.mountPoint() + "\n"
                                + "ExecStart=/usr/bin/" + rcloneMountArgs(t) + "\n"
                                + "ExecStop=/bin/fusermount -u " + t.mountPoint() + "\n"
                                + "Restart=on-failure\n\n"
                                + "[Install]\n"
                                + "WantedBy=multi-user.target\n",
                        "Then: systemctl daemon-reload && systemctl enable --now " + unit)));
        return list;
    }

    private static List<Snippet> mc(Target t) {
        var list = new ArrayList<Snippet>();
        if (tls(t)) {
            list.add(caFile("mc", t));
            list.add(new Snippet("mc-ca-install", "Let mc trust it",
                    "mkdir -p ~/.mc/certs/CAs\n"
                            + "cp " + CA_FILE + " ~/.mc/certs/CAs/berth-ca.crt\n",
                    "mc trusts the system store and the certificates in ~/.mc/certs/CAs (of the user running it)."));
        }
        list.addAll(List.of(
                new Snippet("mc-alias", "Alias",
                        "mc alias set " + t.alias() + " " + t.url() + " " + t.accessKey() + " " + t.secretOrPlaceholder()
                                + " --api S3v4 --path on",
                        null),
                new Snippet("mc-use", "Use it", "mc ls " + t.alias() + "/" + t.bucket() + "/", null)));
        return list;
    }

    private static List<Snippet> awscli(Target t) {
        var list = new ArrayList<Snippet>();
        if (tls(t)) {
            list.add(caFile("awscli", t));
        }
        list.addAll(List.of(
                new Snippet("awscli-credentials", "~/.aws/credentials",
                        "[" + t.alias() + "]\n"
                                + "aws_access_key_id = " + t.accessKey() + "\n"
                                + "aws_secret_access_key = " + t.secretOrPlaceholder() + "\n",
                        null),
                new Snippet("awscli-config", "~/.aws/config",
                        "[profile " + t.alias() + "]\n"
                                + "region = " + t.region() + "\n"
                                + (tls(t) ? "ca_bundle = " + CA_FILE + "\n" : "")
                                + "s3 =\n"
                                + "    addressing_style = path\n",
                        null),
                new Snippet("awscli-use", "Use it",
                        "aws --profile " + t.alias() + " --endpoint-url " + t.url() + " s3 ls s3://" + t.bucket() + "/", null)));
        return list;
    }

    /** Everything in one text file, for the download button. */
    public static String download(Target t) {
        var b = new StringBuilder();
        b.append("# Berth access key ").append(t.accessKey()).append(" for bucket ").append(t.bucket())
                .append(" (").append(t.mode().label()).append(")\n");
        b.append("# endpoint: ").append(t.url()).append("\n");
        b.append("# access key: ").append(t.accessKey()).append("\n");
        b.append("# secret key: ").append(t.secretOrPlaceholder()).append("\n\n");
        for (ToolSnippets tool : all(t)) {
            for (Snippet s : tool.snippets()) {
                b.append("## ").append(tool.title()).append(": ").append(s.title()).append("\n");
                b.append(s.text()).append(s.text().endsWith("\n") ? "" : "\n");
                if (s.note() != null) {
                    b.append("# ").append(s.note()).append("\n");
                }
                b.append("\n");
            }
        }
        return b.toString();
    }
}
