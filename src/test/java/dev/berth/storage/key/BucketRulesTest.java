package dev.berth.storage.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.common.InvalidInputException;
import dev.berth.storage.bucket.BucketRules;
import dev.berth.tenancy.Meter;
import dev.berth.tenancy.QuotaLimits;
import dev.berth.tenancy.TenantUsage;
import dev.berth.tenancy.UsageRefusals;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

/** The deciding code of buckets and keys, without MinIO. */
@Tag(DatabasePass.INDEPENDENT)
class BucketRulesTest {
    static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
    static final QuotaLimits QUOTA = new QuotaLimits(1, 1, 1, 3, 800, 1000, 2, 1000, 1 << 30, 0, 0);

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ab|3 to 63 characters",
            "a234567890123456789012345678901234567890123456789012345678901234|3 to 63 characters",
            "Data|must be lower case",
            "my_bucket|only lower-case letters, digits, dots and hyphens",
            "my bucket|only lower-case letters, digits, dots and hyphens",
            "-abc|begin and end with a letter or digit",
            "abc.|begin and end with a letter or digit",
            "a..b|two adjacent dots",
            "a.-b|dot next to a hyphen",
            "127.0.0.1|IP address",
            "xn--abc|reserved prefix",
            "sthree-abc|reserved prefix",
            "abc-s3alias|reserved suffix",
            "abc--ol-s3|reserved suffix"})
    void eachBrokenNamingRuleIsNamed(String name, String rule) {
        String problem = BucketRules.nameProblem(name).orElseThrow();
        assertTrue(problem.contains(rule), name + ": " + problem);
    }

    @Test
    void goodNamesPass() {
        for (String name : List.of("abc", "data-2026", "logs.example", "a1b2c3", "x".repeat(63))) {
            assertEquals(java.util.Optional.empty(), BucketRules.nameProblem(name), name);
        }
    }

    @Test
    void duplicatesAreFoundIgnoringCase() {
        var e = assertThrows(InvalidInputException.class, () -> BucketRules.checkNewBucket("data", List.of("other", "data")));
        assertTrue(e.messageFor("name").contains("already exists"));
        assertEquals("fresh", BucketRules.checkNewBucket("fresh", List.of("data")));
    }

    @Test
    void quotasRefuseWithTheReason() {
        assertTrue(BucketRules.bucketQuotaRefusal(QUOTA, 2).isEmpty());
        assertTrue(BucketRules.bucketQuotaRefusal(QUOTA, 3).orElseThrow().contains("3 of 3 buckets"));
        assertTrue(BucketRules.keyQuotaRefusal(QUOTA, 1).isEmpty());
        assertTrue(BucketRules.keyQuotaRefusal(QUOTA, 2).orElseThrow().contains("2 of 2 keys"));
    }

    @Test
    void writesStopAtTheHardLimitAndTheSoftLimitWarns() {
        assertFalse(BucketRules.writesBlocked(999, QUOTA));
        assertTrue(BucketRules.writesBlocked(1000, QUOTA));
        assertTrue(BucketRules.storageWarning(700, QUOTA, false).isEmpty());
        assertTrue(BucketRules.storageWarning(900, QUOTA, false).orElseThrow().contains("soft limit"));
        assertTrue(BucketRules.storageWarning(1000, QUOTA, true).orElseThrow().contains("hard limit"));
        assertTrue(BucketRules.storageWarning(1000, 300, QUOTA, true).orElseThrow()
                .contains("300 B are parts of multipart uploads never completed"), "the banner says what no listing shows");
        assertFalse(BucketRules.storageWarning(900, 0, QUOTA, false).orElseThrow().contains("multipart"));
    }

    @Test
    void keyRequestsAreChecked() {
        var ok = BucketRules.checkKey(new BucketRules.KeyInput("ro", "90d", "  spark  "), NOW);
        assertEquals(KeyMode.READ_ONLY, ok.mode());
        assertEquals(NOW.plus(Duration.ofDays(90)), ok.expiresAt());
        assertEquals("spark", ok.description());
        assertEquals(Instant.parse("2027-01-01T00:00:00Z"),
                BucketRules.checkKey(new BucketRules.KeyInput("read-write", "2026-12-31", null), NOW).expiresAt());
        assertEquals(Instant.parse("2026-11-23T12:00:00Z"),
                BucketRules.checkKey(new BucketRules.KeyInput("read-write", "2026-11-23T12:00:00Z", null), NOW).expiresAt());

        var bad = assertThrows(InvalidInputException.class,
                () -> BucketRules.checkKey(new BucketRules.KeyInput("admin", "2026-11-23T10:05:00Z", "x".repeat(257)), NOW));
        assertTrue(bad.messageFor("mode").contains("read-only or read-write"));
        assertTrue(bad.messageFor("expiresAt").contains("15 minutes"));
        assertTrue(bad.messageFor("description").contains("at most 256"));
        assertTrue(assertThrows(InvalidInputException.class,
                () -> BucketRules.checkKey(new BucketRules.KeyInput("ro", "400d", null), NOW)).messageFor("expiresAt").contains("365 days"));
        assertTrue(assertThrows(InvalidInputException.class,
                () -> BucketRules.checkKey(new BucketRules.KeyInput("ro", null, "two\nlines"), NOW)).messageFor("description").contains("single line"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void policiesNameOnlyTheirBucketAndDrainStopsWrites() {
        List<Map<String, Object>> rw = (List<Map<String, Object>>) KeyPolicy.of("data", KeyMode.READ_WRITE, false).get("Statement");
        List<Map<String, Object>> drain = (List<Map<String, Object>>) KeyPolicy.of("data", KeyMode.READ_WRITE, true).get("Statement");
        List<Map<String, Object>> ro = (List<Map<String, Object>>) KeyPolicy.of("data", KeyMode.READ_ONLY, true).get("Statement");
        for (var statements : List.of(rw, drain, ro)) {
            assertEquals(List.of("arn:aws:s3:::data"), statements.get(0).get("Resource"));
            assertEquals(List.of("arn:aws:s3:::data/*"), statements.get(1).get("Resource"));
            assertFalse(statements.toString().contains("ListAllMyBuckets"));
        }
        assertTrue(((List<?>) rw.get(1).get("Action")).contains("s3:PutObject"));
        assertFalse(((List<?>) drain.get(1).get("Action")).contains("s3:PutObject"));
        assertTrue(((List<?>) drain.get(1).get("Action")).contains("s3:DeleteObject"));
        assertFalse(((List<?>) ro.get(1).get("Action")).contains("s3:DeleteObject"));
        assertTrue(((List<?>) ro.get(1).get("Action")).contains("s3:GetObject"));
    }

    @Test
    void snippetsCarryTheSecretOnlyWhenGivenAndMountReadOnlyKeysReadOnly() {
        var withSecret = new MountInstructions.Target("http://127.0.0.1:9000/", "us-east-1", "data", "BKABC", "s3cr3t", KeyMode.READ_ONLY);
        var later = new MountInstructions.Target("http://127.0.0.1:9000", "us-east-1", "data", "BKABC", null, KeyMode.READ_WRITE);
        String all = MountInstructions.download(withSecret);
        assertTrue(all.contains("BKABC:s3cr3t"));
        assertTrue(all.contains("url=http://127.0.0.1:9000,"), "endpoint without trailing slash");
        String s3fs = MountInstructions.of(MountInstructions.Tool.S3FS, withSecret).snippets().get(1).text();
        assertTrue(s3fs.endsWith(",ro"), s3fs);
        String fstab = MountInstructions.of(MountInstructions.Tool.S3FS, later).snippets().get(2).text();
        assertTrue(fstab.contains("fuse.s3fs _netdev,") && fstab.contains("allow_other") && fstab.contains("use_path_request_style"), fstab);
        assertFalse(fstab.contains(",ro"));
        String rclone = MountInstructions.download(later);
        assertTrue(rclone.contains("secret_access_key = <SECRET>"));
        assertFalse(rclone.contains("s3cr3t"));
        assertTrue(MountInstructions.of(MountInstructions.Tool.RCLONE, withSecret).snippets().get(2).text().contains("--read-only"));
        assertEquals("berth-logs-example", new MountInstructions.Target("http://x", "r", "logs.example", "a", null, KeyMode.READ_ONLY).alias());
        assertEquals(java.util.Optional.empty(), MountInstructions.Tool.parse("ftp"));
    }

    @Test
    void usageSaysWhatIsRefused() {
        var meters = Meter.of(QUOTA, new TenantUsage(0, 0, 0, 3, 1000, 1));
        List<String> refusals = UsageRefusals.of(meters);
        assertEquals(2, refusals.size(), refusals.toString());
        assertTrue(refusals.get(0).startsWith("New buckets are refused"));
        assertTrue(refusals.get(1).startsWith("Writes are stopped at the hard limit"));
    }

    @Test
    void everySnippetVerifiesTheInstanceWithTheCaAndNoneSkipsVerification() {
        String ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        var t = new MountInstructions.Target("https://127.0.0.1:9000", "us-east-1", "data", "BKABC", "s3cr3t", KeyMode.READ_WRITE, ca);
        String all = MountInstructions.download(t);
        for (String insecure : List.of("no_check_certificate", "ssl_verify_hostname=0", "--no-check-certificate", "--insecure",
                "--no-verify-ssl", "verify_ssl = false", "http://")) {
            assertFalse(all.contains(insecure), insecure);
        }
        for (var tool : MountInstructions.all(t)) {
            var first = tool.snippets().get(0);
            assertEquals(tool.tool() + "-ca", first.id(), "each tool starts by writing the CA");
            assertTrue(first.text().contains(ca.strip()) && first.text().contains(MountInstructions.CA_FILE), first.text());
        }
        String snippets = all;
        assertTrue(snippets.contains("CURL_CA_BUNDLE=/etc/berth/berth-ca.crt s3fs data /mnt/data -o passwd_file="), "s3fs");
        assertTrue(snippets.contains("cp /etc/berth/berth-ca.crt /usr/local/share/ca-certificates/berth-ca.crt\nupdate-ca-certificates"), "Debian/Ubuntu system store");
        assertTrue(snippets.contains(" --ca-cert /etc/berth/berth-ca.crt "), "rclone");
        assertTrue(snippets.contains("~/.mc/certs/CAs/berth-ca.crt"), "mc");
        assertTrue(snippets.contains("ca_bundle = /etc/berth/berth-ca.crt"), "AWS CLI");
    }
}
