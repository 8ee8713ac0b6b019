package dev.berth.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

@Tag(DatabasePass.INDEPENDENT)
class ProductionSecretsTest {
    static Map<String, String> of(String session, String key, String oidc) {
        var m = new LinkedHashMap<String, String>();
        m.put("BERTH_SESSION_SECRET", session);
        m.put("BERTH_SECRETS_KEY", key);
        m.put("BERTH_OIDC_SECRET", oidc);
        return m;
    }

    @Test
    void everyPublishedValueIsRefusedByName() {
        assertEquals(List.of("BERTH_SESSION_SECRET is a development value published in Berth's repository",
                        "BERTH_SECRETS_KEY is a development value published in Berth's repository",
                        "BERTH_OIDC_SECRET is a development value published in Berth's repository"),
                ProductionSecrets.problems(of("berth-dev-session-secret-change-me-0123456789",
                        "ZGV2LW9ubHktYmVydGgtc2VjcmV0cy1rZXktMzJieXQ=", "berth-dev-secret-do-not-use-in-production")));
    }

    @Test
    void missingShortAndPlaceholderValuesAreRefused() {
        assertEquals(List.of("BERTH_SESSION_SECRET is shorter than 32 characters", "BERTH_SECRETS_KEY is not set",
                        "BERTH_OIDC_SECRET is still the placeholder of k8s/base/secret.template.yaml"),
                ProductionSecrets.problems(of("short", " ", "<REPLACE: the OIDC client secret of berth-portal>")));
    }

    @Test
    void realSecretsPass() {
        assertEquals(List.of(), ProductionSecrets.problems(of("x".repeat(40), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "s3cr3t")));
    }
}
