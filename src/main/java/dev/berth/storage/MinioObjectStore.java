package dev.berth.storage;

import dev.berth.common.BackendCalls;
import io.minio.BucketExistsArgs;
import io.minio.GetBucketVersioningArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.RemoveBucketArgs;
import io.minio.RemoveObjectsArgs;
import io.minio.Result;
import io.minio.SetBucketVersioningArgs;
import io.minio.admin.MinioAdminClient;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Bucket;
import io.minio.messages.DeleteError;
import io.minio.messages.DeleteObject;
import io.minio.messages.Item;
import io.minio.messages.VersioningConfiguration;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;

/**
 * The minio-java adapter of {@link ObjectStore}: S3 calls through {@link MinioClient}, service accounts through
 * {@link MinioAdminClient}. One HTTP client (connection pool, timeouts) serves every instance; clients per
 * instance are cached by endpoint and credentials, so a changed root password gets a new client.
 */
@ApplicationScoped
public class MinioObjectStore implements ObjectStore {
    private final OkHttpClient http;
    private final Map<String, Clients> clients = new ConcurrentHashMap<>();

    private record Clients(MinioClient s3, MinioAdminClient admin) {
    }

    @Inject
    public MinioObjectStore(StorageConfig config) {
        long ms = config.callTimeout().toMillis();
        http = new OkHttpClient.Builder().connectTimeout(ms, TimeUnit.MILLISECONDS).readTimeout(ms, TimeUnit.MILLISECONDS)
                .writeTimeout(ms, TimeUnit.MILLISECONDS).callTimeout(ms, TimeUnit.MILLISECONDS)
                // A pooled connection goes stale when an instance restarts or another one takes over its port: retry
                // on a fresh connection rather than fail the request ("unexpected end of stream").
                .retryOnConnectionFailure(true).build();
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws Exception;
    }

    private Clients of(InstanceAccess at) {
        String key = at.endpoint() + "\u0000" + at.rootUser() + "\u0000" + at.rootPassword();
        Clients known = clients.get(key);
        if (known != null) {
            return known;
        }
        // An endpoint answers for one instance at a time: forget clients of an earlier one (other credentials).
        clients.keySet().removeIf(k -> k.startsWith(at.endpoint() + "\u0000"));
        return clients.computeIfAbsent(key, k -> new Clients(
                MinioClient.builder().endpoint(at.endpoint()).credentials(at.rootUser(), at.rootPassword()).httpClient(http).build(),
                MinioAdminClient.builder().endpoint(at.endpoint()).credentials(at.rootUser(), at.rootPassword()).httpClient(http).build()));
    }

    /** One call to an instance, timed as {@code operation} (a fixed word: it becomes a metric tag). */
    private static <T> T call(String operation, String what, Call<T> call) {
        try {
            return BackendCalls.time(BackendCalls.MINIO, operation, call::run);
        } catch (ErrorResponseException e) {
            String code = e.errorResponse().code();
            boolean missing = "NoSuchBucket".equals(code) || "NoSuchKey".equals(code);
            throw new StorageException(what + ": " + e.errorResponse().message() + " (" + code + ")", e, missing);
        } catch (StorageException e) {
            throw e;
        } catch (java.io.InterruptedIOException e) {
            throw new StorageException(what + ": the storage instance did not answer in time", e);
        } catch (java.io.IOException e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            // minio-admin reports HTTP errors as IOException with the server's JSON; keep it short
            boolean missing = message.contains("XMinioAdminNoSuchServiceAccount") || message.contains("does not exist");
            throw new StorageException(what + ": " + abbreviate(message), e, missing);
        } catch (Exception e) {
            throw new StorageException(what + ": " + e.getClass().getSimpleName() + ": " + abbreviate(String.valueOf(e.getMessage())), e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 299) + "…" : s;
    }

    @Override
    public List<String> bucketNames(InstanceAccess at) {
        return call("list_buckets", "listing buckets", () -> of(at).s3().listBuckets().stream().map(Bucket::name).toList());
    }

    @Override
    public List<BucketInfo> buckets(InstanceAccess at) {
        Clients c = of(at);
        List<Bucket> all = call("list_buckets", "listing buckets", () -> c.s3().listBuckets());
        var result = new ArrayList<BucketInfo>();
        for (Bucket b : all) {
            try {
                result.add(describe(c, b.name(), b.creationDate() == null ? null : b.creationDate().toInstant()));
            } catch (StorageException e) {
                if (!e.notFound()) { // deleted between the listing and now: it is simply gone
                    throw e;
                }
            }
        }
        return result;
    }

    @Override
    public boolean exists(InstanceAccess at, String name) {
        return call("bucket_exists", "looking up bucket " + name, () -> of(at).s3().bucketExists(BucketExistsArgs.builder().bucket(name).build()));
    }

    @Override
    public BucketInfo bucket(InstanceAccess at, String name) {
        Clients c = of(at);
        boolean exists = call("bucket_exists", "looking up bucket " + name, () -> c.s3().bucketExists(BucketExistsArgs.builder().bucket(name).build()));
        if (!exists) {
            throw new StorageException("There is no bucket " + name + ".", null, true);
        }
        Instant created = call("list_buckets", "looking up bucket " + name, () -> c.s3().listBuckets().stream()
                .filter(b -> b.name().equals(name)).findFirst().map(b -> b.creationDate() == null ? null : b.creationDate().toInstant())
                .orElse(null));
        return describe(c, name, created);
    }

    private BucketInfo describe(Clients c, String name, Instant created) {
        return call("describe_bucket", "reading bucket " + name, () -> {
            long size = 0;
            long objects = 0;
            Instant last = null;
            for (Result<Item> r : c.s3().listObjects(ListObjectsArgs.builder().bucket(name).recursive(true).includeVersions(true).build())) {
                Item item = r.get();
                if (item.isDeleteMarker()) {
                    continue;
                }
                objects++;
                size += item.size();
                if (item.lastModified() != null) {
                    Instant m = item.lastModified().toInstant();
                    last = last == null || m.isAfter(last) ? m : last;
                }
            }
            VersioningConfiguration v = c.s3().getBucketVersioning(GetBucketVersioningArgs.builder().bucket(name).build());
            return new BucketInfo(name, created, size, objects, last, v.status() == VersioningConfiguration.Status.ENABLED);
        });
    }

    @Override
    public void createBucket(InstanceAccess at, String name) {
        call("create_bucket", "creating bucket " + name, () -> {
            of(at).s3().makeBucket(MakeBucketArgs.builder().bucket(name).build());
            return null;
        });
    }

    @Override
    public void deleteBucket(InstanceAccess at, String name) {
        Clients c = of(at);
        call("delete_bucket", "deleting bucket " + name, () -> {
            // Delete in batches of what one listing page returns, versions and delete markers included.
            while (true) {
                var batch = new ArrayList<DeleteObject>();
                for (Result<Item> r : c.s3().listObjects(ListObjectsArgs.builder().bucket(name).recursive(true).includeVersions(true).build())) {
                    Item item = r.get();
                    batch.add(new DeleteObject(item.objectName(), item.versionId()));
                    if (batch.size() == 1000) {
                        break;
                    }
                }
                if (batch.isEmpty()) {
                    break;
                }
                for (Result<DeleteError> r : c.s3().removeObjects(RemoveObjectsArgs.builder().bucket(name).objects(batch).build())) {
                    DeleteError error = r.get();
                    throw new StorageException("deleting " + error.objectName() + " in " + name + ": " + error.message(), null);
                }
            }
            c.s3().removeBucket(RemoveBucketArgs.builder().bucket(name).build());
            return null;
        });
    }

    @Override
    public void setVersioning(InstanceAccess at, String name, boolean enabled) {
        call("set_versioning", "setting versioning of " + name, () -> {
            of(at).s3().setBucketVersioning(SetBucketVersioningArgs.builder().bucket(name)
                    .config(new VersioningConfiguration(enabled ? VersioningConfiguration.Status.ENABLED
                            : VersioningConfiguration.Status.SUSPENDED, null)).build());
            return null;
        });
    }

    @Override
    public void createKey(InstanceAccess at, NewKey key) {
        call("create_key", "creating access key", () -> of(at).admin().addServiceAccount(key.accessKey(), key.secretKey(), null, key.policy(),
                null, key.description(), key.expiresAt() == null ? null : key.expiresAt().atZone(ZoneOffset.UTC)));
    }

    @Override
    public void setKeyPolicy(InstanceAccess at, String accessKey, Map<String, Object> policy, boolean enabled) {
        call("set_key_policy", "changing the policy of access key " + accessKey, () -> {
            of(at).admin().updateServiceAccount(accessKey, null, policy, enabled, null, null, null);
            return null;
        });
    }

    @Override
    public void setKeyEnabled(InstanceAccess at, String accessKey, boolean enabled) {
        call("set_key_enabled", (enabled ? "enabling" : "disabling") + " access key " + accessKey, () -> {
            of(at).admin().updateServiceAccount(accessKey, null, null, enabled, null, null, null);
            return null;
        });
    }

    @Override
    public void deleteKey(InstanceAccess at, String accessKey) {
        try {
            call("delete_key", "deleting access key " + accessKey, () -> {
                of(at).admin().deleteServiceAccount(accessKey);
                return null;
            });
        } catch (StorageException e) {
            if (!e.notFound()) {
                throw e;
            }
        }
    }

    @Override
    public long usageBytes(InstanceAccess at) {
        Clients c = of(at);
        return call("usage_scan", "measuring usage", () -> {
            long total = 0;
            for (Bucket b : c.s3().listBuckets()) {
                for (Result<Item> r : c.s3().listObjects(ListObjectsArgs.builder().bucket(b.name()).recursive(true).includeVersions(true).build())) {
                    Item item = r.get();
                    if (!item.isDeleteMarker()) {
                        total += item.size();
                    }
                }
            }
            return total;
        });
    }
}
