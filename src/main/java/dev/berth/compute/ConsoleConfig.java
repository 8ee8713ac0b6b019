package dev.berth.compute;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "berth.console")
public interface ConsoleConfig {
    /** How long a console ticket may wait to be redeemed; the console it opens may stay open longer. */
    @WithDefault("60s")
    Duration ticketTtl();

    /** Longest Berth waits for a machine's VNC server to accept the proxied TCP connection, and again for its RFB greeting. */
    @WithDefault("5s")
    Duration connectTimeout();

    /** Lowest port a console connects to: libvirt's {@code remote_display_port_min} (qemu.conf). */
    @WithDefault("5900")
    int portMin();

    /** Highest port a console connects to: libvirt's {@code remote_display_port_max}. */
    @WithDefault("65535")
    int portMax();

    /**
     * Ports and ranges in that range a console never connects to, comma-separated ({@code none} for none): services
     * that may listen on a KVM host — 6443 and 10250 (Kubernetes API server, kubelet), 8080 and 8443 (the portal's
     * defaults, the usual HTTP alternates), 8180 (Keycloak in Berth's development stack), 9000 (MinIO's default).
     * The portal's own HTTP ports and the storage port range are excluded as well, always.
     */
    @WithDefault("6443,8080,8180,8443,9000,10250")
    String excludedPorts();

    /** Refused console tickets written to the audit log per source address (IPv6: per /64) and minute; all are counted in a metric. */
    @WithDefault("10")
    int auditRefusalsPerAddress();

    /** Refused console tickets written to the audit log per minute in all, on each replica. */
    @WithDefault("100")
    int auditRefusalsTotal();

    /** How often used and expired tickets are deleted ("off" disables); each is kept an hour after it expired, so a reuse is named as such. */
    @WithDefault("10m")
    String purgeInterval();
}
