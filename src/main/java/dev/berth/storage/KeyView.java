package dev.berth.storage;

import io.quarkus.qute.TemplateData;
import java.time.Instant;

/** A key as pages and the API show it: never its secret. */
@TemplateData
public record KeyView(String accessKey, String bucket, String mode, String description, String createdBy,
                      Instant createdAt, Instant expiresAt, boolean expired) {
    static KeyView of(AccessKey k, Instant now) {
        return new KeyView(k.accessKey, k.bucket, k.mode.label(), k.description, k.createdBy, k.createdAt, k.expiresAt,
                k.disabledAt != null || (k.expiresAt != null && !k.expiresAt.isAfter(now)));
    }
}
