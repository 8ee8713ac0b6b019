package dev.berth.compute;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The NoCloud seed Berth hands a machine at first boot: meta-data and a {@code #cloud-config} user-data that writes the
 * bucket's credentials (root-only), adds the bucket to /etc/fstab (systemd turns it into a mount unit, so it is mounted
 * on every boot), mounts it, and writes {@code hello-from-<machine>} into a writable bucket. The cloud-config is JSON
 * (YAML's flow style; Jackson escapes every value), never text pasted together. The secret lives only here and in the
 * seed volume built from it, which is deleted with the machine.
 */
public final class CloudInit {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A bucket to mount.
     *
     * @param fstabLine   the s3fs /etc/fstab line of the key's mount instructions (endpoint, options, read-only)
     * @param passwdFile  where that line expects the ACCESS_KEY:SECRET file
     * @param caPem       the storage CA the instance's certificate chains to, or null
     * @param relay       when the guest reaches storage through a forwarded address: relay 127.0.0.1:{@code port} in the
     *                    guest to it, so the endpoint (and the certificate's name) stay those of the instance; or null
     */
    public record Mount(String bucket, String accessKey, String secret, boolean readOnly, String fstabLine, String passwdFile,
                        String caPem, Relay relay) {
        @Override
        public String toString() {
            return "Mount[bucket=" + bucket + ", accessKey=" + accessKey + ", readOnly=" + readOnly + "]"; // never the secret
        }
    }

    public record Relay(int port, String guestAddress, int guestPort) {
    }

    private CloudInit() {
    }

    public static String metaData(String instanceId, String hostname) {
        ObjectNode m = JSON.createObjectNode();
        m.put("instance-id", instanceId);
        m.put("local-hostname", hostname);
        return write(m) + "\n";
    }

    public static String userData(String hostname, String sshKey, Mount mount) {
        ObjectNode c = JSON.createObjectNode();
        c.put("hostname", hostname);
        c.put("preserve_hostname", false);
        if (sshKey != null) {
            c.putArray("ssh_authorized_keys").add(sshKey);
        }
        if (mount != null) {
            ArrayNode files = c.putArray("write_files");
            file(files, mount.passwdFile(), "0600", mount.accessKey() + ":" + mount.secret() + "\n", false);
            file(files, "/etc/fstab", null, mount.fstabLine() + "\n", true);
            ArrayNode run = c.putArray("runcmd");
            if (mount.caPem() != null) { // a mount from fstab verifies against the system store
                file(files, "/usr/local/share/ca-certificates/berth-ca.crt", "0644", mount.caPem().strip() + "\n", false);
                run.addArray().add("update-ca-certificates");
            }
            if (mount.relay() != null) {
                Relay r = mount.relay();
                file(files, "/etc/systemd/system/berth-storage-relay.service", "0644", """
                        [Unit]
                        Description=Berth: the storage instance on 127.0.0.1:%d, through the host's forwarded port
                        Before=remote-fs-pre.target
                        Wants=remote-fs-pre.target
                        [Service]
                        ExecStart=/usr/bin/socat TCP-LISTEN:%d,bind=127.0.0.1,fork,reuseaddr TCP:%s:%d
                        Restart=always
                        [Install]
                        WantedBy=multi-user.target
                        """.formatted(r.port(), r.port(), r.guestAddress(), r.guestPort()), false);
                run.addArray().add("systemctl").add("daemon-reload");
                run.addArray().add("systemctl").add("enable").add("--now").add("berth-storage-relay.service");
            }
            String dir = "/mnt/" + mount.bucket();
            run.addArray().add("mkdir").add("-p").add(dir);
            run.addArray().add("systemctl").add("daemon-reload"); // the fstab line becomes a mount unit
            run.addArray().add("mount").add(dir);
            if (!mount.readOnly()) {
                // s3fs returns before it has reached the server: retry the first write until it lands
                run.addArray().add("sh").add("-c").add("for i in $(seq 1 60); do echo " + hostname + " > " + dir + "/hello-from-"
                        + hostname + " && exit 0; sleep 2; done; exit 1");
            }
        }
        return "#cloud-config\n" + write(c) + "\n";
    }

    private static void file(ArrayNode files, String path, String permissions, String content, boolean append) {
        ObjectNode f = files.addObject();
        f.put("path", path);
        if (permissions != null) {
            f.put("permissions", permissions);
        }
        f.put("owner", "root:root");
        f.put("content", content);
        if (append) {
            f.put("append", true);
        }
    }

    private static String write(ObjectNode node) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
