package dev.berth.storage.key;

import io.quarkus.qute.TemplateData;
import java.time.Instant;

/** A key as pages and the API show it: never its secret. */
@TemplateData
public record KeyView(String accessKey, String bucket, String mode, String description, String createdBy,
                      Instant createdAt, Instant expiresAt, boolean expired,
                      boolean suspended) {
    private static final java.time.format.DateTimeFormatter WHEN =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(java.time.ZoneOffset.UTC);

    /** For pages: minutes in UTC, or a dash. */
    public static String when(Instant at) {
        return at == null ? "—" : WHEN.format(at);
    }

    public String created() {
        return when(createdAt);
    }

    public String expires() {
        return expiresAt == null ? "never" : when(expiresAt);
    }

    public static KeyView of(AccessKey k, Instant now) {
        return new KeyView(k.accessKey, k.bucket, k.mode.label(), k.description, k.createdBy, k.createdAt, k.expiresAt,
                k.disabledAt != null || (k.expiresAt != null && !k.expiresAt.isAfter(now)), k.suspendedAt != null);
    }
}
