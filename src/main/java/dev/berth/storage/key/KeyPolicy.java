package dev.berth.storage.key;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The inline IAM policy of a bucket key. A key sees only its own bucket: no ListAllMyBuckets, no other
 * bucket's ARN. While the tenant is past its hard storage limit, read-write keys get the "drain" policy:
 * read, list and delete, but no write — so a tenant can always free space.
 */
public final class KeyPolicy {
    static final List<String> BUCKET_READ = List.of("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions");
    static final List<String> OBJECT_READ = List.of("s3:GetObject", "s3:GetObjectVersion");
    static final List<String> BUCKET_WRITE = List.of("s3:ListBucketMultipartUploads");
    static final List<String> OBJECT_DELETE = List.of("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts");
    static final List<String> OBJECT_WRITE = List.of("s3:PutObject");

    private KeyPolicy() {
    }

    /** The policy for a key of this mode; {@code writesBlocked} while the tenant is past its hard limit. */
    public static Map<String, Object> of(String bucket, KeyMode mode, boolean writesBlocked) {
        var bucketActions = new ArrayList<>(BUCKET_READ);
        var objectActions = new ArrayList<>(OBJECT_READ);
        if (mode == KeyMode.READ_WRITE) {
            bucketActions.addAll(BUCKET_WRITE);
            objectActions.addAll(OBJECT_DELETE);
            if (!writesBlocked) {
                objectActions.addAll(OBJECT_WRITE);
            }
        }
        var policy = new LinkedHashMap<String, Object>();
        policy.put("Version", "2012-10-17");
        policy.put("Statement", List.of(
                statement(bucketActions, "arn:aws:s3:::" + bucket),
                statement(objectActions, "arn:aws:s3:::" + bucket + "/*")));
        return policy;
    }

    private static Map<String, Object> statement(List<String> actions, String resource) {
        var s = new LinkedHashMap<String, Object>();
        s.put("Effect", "Allow");
        s.put("Action", List.copyOf(actions));
        s.put("Resource", List.of(resource));
        return s;
    }
}
