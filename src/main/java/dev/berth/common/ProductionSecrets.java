package dev.berth.common;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Outside development mode Berth refuses to start on a secret that is missing or public in this repository:
 * the defaults exist so that {@code ./berth run} works out of the box, and must never protect a deployment.
 * Development mode is explicit ({@code BERTH_DEVELOPMENT_MODE=true}, set by {@code ./berth run} and the tests).
 */
@ApplicationScoped
public class ProductionSecrets {
    private static final Logger LOG = Logger.getLogger(ProductionSecrets.class);

    /** The development values shipped in application.properties and the development realm: public, so never secret. */
    static final Set<String> DEVELOPMENT_VALUES = Set.of(
            "berth-dev-session-secret-change-me-0123456789",
            "ZGV2LW9ubHktYmVydGgtc2VjcmV0cy1rZXktMzJieXQ=",
            "berth-dev-secret-do-not-use-in-production");

    @ConfigProperty(name = "berth.development-mode", defaultValue = "false")
    boolean developmentMode;
    @ConfigProperty(name = "quarkus.oidc.token-state-manager.encryption-secret", defaultValue = "")
    String sessionSecret;
    @ConfigProperty(name = "berth.secrets.key", defaultValue = "")
    String secretsKey;
    @ConfigProperty(name = "berth.oidc.secret", defaultValue = "")
    String oidcSecret;

    void check(@Observes StartupEvent event) {
        if (developmentMode) {
            LOG.warn("Development mode: development secrets and demo conveniences are allowed. Never run a deployment like this.");
            return;
        }
        var values = new LinkedHashMap<String, String>();
        values.put("BERTH_SESSION_SECRET", sessionSecret);
        values.put("BERTH_SECRETS_KEY", secretsKey);
        values.put("BERTH_OIDC_SECRET", oidcSecret);
        List<String> problems = problems(values);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Berth refuses to start outside development mode: " + String.join("; ", problems)
                    + ". Set them (see README, Configuration), or set BERTH_DEVELOPMENT_MODE=true on a development machine.");
        }
    }

    /** What is wrong with these secrets (variable name → value) for a deployment; empty when nothing is. */
    static List<String> problems(Map<String, String> byVariable) {
        var problems = new ArrayList<String>();
        byVariable.forEach((variable, value) -> {
            if (value == null || value.isBlank()) {
                problems.add(variable + " is not set");
            } else if (DEVELOPMENT_VALUES.contains(value.trim())) {
                problems.add(variable + " is a development value published in Berth's repository");
            } else if (value.trim().startsWith("<REPLACE")) {
                problems.add(variable + " is still the placeholder of k8s/base/secret.template.yaml");
            } else if (variable.equals("BERTH_SESSION_SECRET") && value.length() < 32) {
                problems.add(variable + " is shorter than 32 characters");
            }
        });
        return problems;
    }
}
