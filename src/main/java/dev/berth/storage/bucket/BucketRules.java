package dev.berth.storage.bucket;

import dev.berth.common.ByteSize;
import dev.berth.common.Errors;
import dev.berth.storage.key.KeyMode;
import dev.berth.tenancy.QuotaLimits;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rules for buckets and keys, as plain decisions: S3 bucket naming (each broken rule named), descriptions,
 * key modes and expiry, and the tenant's quotas.
 */
public final class BucketRules {
    /** MinIO keeps at most 256 characters of a service account's description. */
    public static final int DESCRIPTION_MAX = 256;
    /** MinIO refuses service-account expiry sooner than 15 minutes or later than 365 days from now. */
    public static final Duration EXPIRY_MIN = Duration.ofMinutes(15);
    public static final Duration EXPIRY_MAX = Duration.ofDays(365);

    private static final Pattern ALLOWED = Pattern.compile("[a-z0-9.-]+");
    private static final Pattern IP = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private BucketRules() {
    }

    /**
     * The first broken S3 naming rule, in words, or empty when the name is valid. Upper case is refused (not
     * folded): S3 names are lower case, so "Data" next to "data" must be a clear error, not a silent duplicate.
     */
    public static Optional<String> nameProblem(String name) {
        if (name == null || name.isBlank()) {
            return Optional.of("is required");
        }
        if (!name.equals(name.trim())) {
            return Optional.of("must not start or end with spaces");
        }
        if (name.length() < 3 || name.length() > 63) {
            return Optional.of("must be 3 to 63 characters long (it is " + name.length() + ")");
        }
        if (!name.equals(name.toLowerCase(Locale.ROOT)) && name.toLowerCase(Locale.ROOT).matches("[a-z0-9.-]+")) {
            return Optional.of("must be lower case: bucket names are case-insensitive in S3 addresses, so '"
                    + name + "' would clash with '" + name.toLowerCase(Locale.ROOT) + "'");
        }
        if (!ALLOWED.matcher(name).matches()) {
            return Optional.of("may contain only lower-case letters, digits, dots and hyphens");
        }
        if (!Character.isLetterOrDigit(name.charAt(0)) || !Character.isLetterOrDigit(name.charAt(name.length() - 1))) {
            return Optional.of("must begin and end with a letter or digit");
        }
        if (name.contains("..")) {
            return Optional.of("must not contain two adjacent dots");
        }
        if (name.contains(".-") || name.contains("-.")) {
            return Optional.of("must not have a dot next to a hyphen");
        }
        if (IP.matcher(name).matches()) {
            return Optional.of("must not look like an IP address");
        }
        if (name.startsWith("xn--") || name.startsWith("sthree-")) {
            return Optional.of("must not start with the reserved prefix 'xn--' or 'sthree-'");
        }
        if (name.endsWith("-s3alias") || name.endsWith("--ol-s3")) {
            return Optional.of("must not end with the reserved suffix '-s3alias' or '--ol-s3'");
        }
        return Optional.empty();
    }

    /** Validates a new bucket's name against the rules and the names that exist (case-insensitively). */
    public static String checkNewBucket(String name, Collection<String> existing) {
        var errors = new Errors();
        nameProblem(name).ifPresent(p -> errors.add("name", p));
        if (!errors.has("name")) {
            for (String e : existing) {
                if (e.equalsIgnoreCase(name)) {
                    errors.add("name", "a bucket '" + e + "' already exists");
                    break;
                }
            }
        }
        errors.throwIfAny();
        return name;
    }

    /** Why one more bucket is refused, or empty. */
    public static Optional<String> bucketQuotaRefusal(QuotaLimits q, int buckets) {
        return buckets >= q.buckets()
                ? Optional.of("The bucket quota is reached: " + buckets + " of " + q.buckets() + " buckets exist. Delete one or ask an administrator for more.")
                : Optional.empty();
    }

    /** Why one more key is refused, or empty. */
    public static Optional<String> keyQuotaRefusal(QuotaLimits q, int keys) {
        return keys >= q.accessKeys()
                ? Optional.of("The access-key quota is reached: " + keys + " of " + q.accessKeys() + " keys exist. Revoke one or ask an administrator for more.")
                : Optional.empty();
    }

    /** Whether writes must stop: at or past the hard limit (a hard limit of 0 allows no data at all). */
    public static boolean writesBlocked(long usageBytes, QuotaLimits q) {
        return usageBytes >= q.storageHardBytes();
    }

    /** The banner text for a tenant's storage, or empty when under the soft limit. */
    public static Optional<String> storageWarning(long usageBytes, QuotaLimits q, boolean blocked) {
        return storageWarning(usageBytes, 0, q, blocked);
    }

    /** As above, saying how much of the usage is parts of incomplete multipart uploads (they count, but no listing shows them). */
    public static Optional<String> storageWarning(long usageBytes, long incompleteUploadBytes, QuotaLimits q, boolean blocked) {
        String parts = incompleteUploadBytes <= 0 ? ""
                : " Of this, " + ByteSize.format(incompleteUploadBytes) + " are parts of multipart uploads never completed:"
                + " complete or abort them to free the space.";
        if (blocked) {
            return Optional.of("Storage is at its hard limit (" + ByteSize.format(usageBytes) + " of " + ByteSize.format(q.storageHardBytes())
                    + "): every key is read and delete only until you delete data." + parts);
        }
        if (usageBytes > q.storageSoftBytes()) {
            return Optional.of("Storage is past its soft limit: " + ByteSize.format(usageBytes) + " used, soft limit "
                    + ByteSize.format(q.storageSoftBytes()) + ", hard limit " + ByteSize.format(q.storageHardBytes())
                    + ". Writes stop at the hard limit." + parts);
        }
        return Optional.empty();
    }

    /** A key request as typed. */
    public record KeyInput(String mode, String expiresAt, String description) {
    }

    /** A key request checked. */
    public record KeyRequest(KeyMode mode, Instant expiresAt, String description) {
    }

    public static KeyRequest checkKey(KeyInput in, Instant now) {
        var errors = new Errors();
        KeyMode mode = KeyMode.parse(in.mode()).orElse(null);
        if (mode == null) {
            errors.add("mode", in.mode() == null || in.mode().isBlank() ? "is required: read-only or read-write"
                    : "must be read-only or read-write, not '" + in.mode().trim() + "'");
        }
        String description = in.description() == null || in.description().isBlank() ? null : in.description().trim();
        if (description != null) {
            if (description.length() > DESCRIPTION_MAX) {
                errors.add("description", "is too long: " + description.length() + " characters, at most " + DESCRIPTION_MAX);
            } else if (description.chars().anyMatch(Character::isISOControl)) {
                errors.add("description", "must be a single line without control characters");
            }
        }
        Instant expires = null;
        if (in.expiresAt() != null && !in.expiresAt().isBlank()) {
            expires = parseExpiry(in.expiresAt().trim(), now, errors);
        }
        errors.throwIfAny();
        return new KeyRequest(mode, expires, description);
    }

    /** An ISO date (the key expires at the end of that day, UTC), an ISO date-time, or a number of days ("90d"). */
    static Instant parseExpiry(String text, Instant now, Errors errors) {
        Instant at;
        try {
            if (text.matches("\\d{1,3}d")) {
                at = now.plus(Duration.ofDays(Long.parseLong(text.substring(0, text.length() - 1))));
            } else if (text.length() == 10) {
                at = LocalDate.parse(text).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
            } else {
                at = OffsetDateTime.parse(text).toInstant();
            }
        } catch (DateTimeParseException e) {
            errors.add("expiresAt", "'" + text + "' is not a date (2026-12-31), a date-time (2026-12-31T18:00:00Z) or a number of days (90d)");
            return null;
        }
        if (at.isBefore(now.plus(EXPIRY_MIN))) {
            errors.add("expiresAt", "must be at least 15 minutes from now");
        } else if (at.isAfter(now.plus(EXPIRY_MAX))) {
            errors.add("expiresAt", "must be at most 365 days from now");
        }
        return at;
    }
}
