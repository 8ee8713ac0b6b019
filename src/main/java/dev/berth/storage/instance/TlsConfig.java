package dev.berth.storage.instance;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** TLS of tenants' instances (README, "Encrypted mounts"). */
@ConfigMapping(prefix = "berth.storage.tls")
public interface TlsConfig {
    /** Lifetime of each instance's certificate. */
    @WithDefault("90d")
    Duration certLifetime();

    /**
     * A certificate is replaced (and its instance restarted) once less than this is left of it. Default: a third of
     * the lifetime, so an instance that cannot be restarted for a while still has weeks of valid certificate.
     */
    Optional<Duration> renewBefore();

    /** Lifetime of the CA Berth makes for itself when the operator supplies none. */
    @WithDefault("3650d")
    Duration caLifetime();

    /**
     * An operator-supplied CA instead of Berth's own: PEM certificate and PEM private key (PKCS#8 or the
     * traditional RSA/EC forms), e.g. files of a Kubernetes Secret that cert-manager keeps. Both or neither.
     */
    Optional<String> caCertFile();

    Optional<String> caKeyFile();

    default Duration renewWindow() {
        return renewBefore().orElse(certLifetime().dividedBy(3));
    }
}
