package dev.berth.storage;

import com.google.common.collect.HashMultimap;
import com.google.common.collect.Multimap;
import dev.berth.common.BackendCalls;
import dev.berth.storage.instance.InstanceSpec;
import dev.berth.storage.instance.TlsAuthority;
import dev.berth.storage.usage.UsageLedger;
import io.minio.BucketExistsArgs;
import io.minio.GetBucketVersioningArgs;
import io.minio.ListObjectsArgs;
import io.minio.ListPartsResponse;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
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
import io.minio.messages.Part;
import io.minio.messages.VersioningConfiguration;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The minio-java adapter of {@link ObjectStore}: S3 calls through {@link MinioClient}, service accounts through
 * {@link MinioAdminClient}. One HTTP client (connection pool, timeouts) serves every instance; clients per
 * instance are cached by endpoint and credentials, so a changed root password gets a new client.
 */
@ApplicationScoped
public class MinioObjectStore implements ObjectStore {
    private final OkHttpClient http;
    private final java.util.concurrent.Semaphore sealedCalls;
    private final long sealedWaitMillis;
    private final Map<String, Clients> clients = new ConcurrentHashMap<>();

    private record Clients(MinioClient s3, MinioAdminClient admin, Uploads uploads) {
    }

    @Inject
    public MinioObjectStore(StorageConfig config, TlsAuthority tls) {
        long ms = config.callTimeout().toMillis();
        sealedCalls = new java.util.concurrent.Semaphore(Math.max(1, config.sealedAdminCalls()), true);
        sealedWaitMillis = ms;
        http = new OkHttpClient.Builder()
                // Instances' certificates are checked against their CA only (not the system store), host name included.
                .sslSocketFactory(tls.sslContext().getSocketFactory(), tls.trustManager()).connectTimeout(ms, TimeUnit.MILLISECONDS).readTimeout(ms, TimeUnit.MILLISECONDS)
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
                MinioAdminClient.builder().endpoint(at.endpoint()).credentials(at.rootUser(), at.rootPassword()).httpClient(http).build(),
                new Uploads(MinioAsyncClient.builder().endpoint(at.endpoint()).credentials(at.rootUser(), at.rootPassword()).httpClient(http).build())));
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
            throw new StorageException(what + ": " + abbreviate(message), e, namesMissing(message));
        } catch (Exception e) {
            // ... and some (delete-service-account) as a RuntimeException with the same JSON
            String message = String.valueOf(e.getMessage());
            throw new StorageException(what + ": " + e.getClass().getSimpleName() + ": " + abbreviate(message), e, namesMissing(message));
        }
    }

    /** MinIO names a missing service account differently by call and release. */
    private static boolean namesMissing(String message) {
        return message.contains("XMinioAdminNoSuchServiceAccount") || message.contains("does not exist")
                || message.contains("service account is not found");
    }

    /** An admin call with a sealed body: its Argon2id (64 MiB) runs for at most {@code sealed-admin-calls} at once. */
    private <T> T sealed(String operation, String what, Call<T> call) {
        try {
            if (!sealedCalls.tryAcquire(sealedWaitMillis, TimeUnit.MILLISECONDS)) {
                throw new StorageException(what + ": the portal is busy with other key changes; try again in a moment", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(what + ": interrupted", e);
        }
        try {
            return call(operation, what, call);
        } finally {
            sealedCalls.release();
        }
    }

    private static String abbreviate(String s) {
        return org.apache.commons.lang3.StringUtils.abbreviate(s, "…", 300);
    }

    @Override
    public List<String> bucketNames(InstanceAccess at) {
        return call("list_buckets", "listing buckets", () -> of(at).s3().listBuckets().stream().map(Bucket::name).toList());
    }

    @Override
    public List<BucketEntry> bucketEntries(InstanceAccess at) {
        return call("list_buckets", "listing buckets", () -> of(at).s3().listBuckets().stream()
                .map(b -> new BucketEntry(b.name(), b.creationDate() == null ? null : b.creationDate().toInstant())).toList());
    }

    @Override
    public boolean empty(InstanceAccess at, String name) {
        return call("bucket_empty", "looking into bucket " + name, () -> {
            for (Result<Item> r : of(at).s3().listObjects(ListObjectsArgs.builder().bucket(name).recursive(true).includeVersions(true)
                    .maxKeys(1).build())) {
                r.get();
                return false;
            }
            return true;
        });
    }

    @Override
    public boolean versioning(InstanceAccess at, String name) {
        return call("get_versioning", "reading versioning of " + name, () -> of(at).s3()
                .getBucketVersioning(GetBucketVersioningArgs.builder().bucket(name).build()).status() == VersioningConfiguration.Status.ENABLED);
    }

    @Override
    public boolean watch(InstanceAccess at, String name) {
        var queues = new ArrayList<io.minio.messages.QueueConfiguration>();
        for (String arn : InstanceSpec.EVENT_TARGET_ARNS) {
            var queue = new io.minio.messages.QueueConfiguration();
            queue.setQueue(arn);
            queue.setEvents(List.of(io.minio.messages.EventType.OBJECT_CREATED_PUT, io.minio.messages.EventType.OBJECT_CREATED_POST,
                    io.minio.messages.EventType.OBJECT_CREATED_COPY, io.minio.messages.EventType.OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD,
                    io.minio.messages.EventType.OBJECT_REMOVED_ANY));
            queues.add(queue);
        }
        var config = new io.minio.messages.NotificationConfiguration();
        config.setQueueConfigurationList(queues);
        try {
            call("watch_bucket", "sending events of " + name + " to Berth", () -> {
                of(at).s3().setBucketNotification(io.minio.SetBucketNotificationArgs.builder().bucket(name).config(config).build());
                return null;
            });
            return true;
        } catch (StorageException e) {
            if (e.getMessage().contains("InvalidArgument") || e.getMessage().contains("ARN")) {
                return false; // the instance has no Berth target (made before events): it is scanned instead
            }
            throw e;
        }
    }

    @Override
    public void listVersions(InstanceAccess at, String name, java.util.function.Consumer<UsageLedger.Listed> each) {
        Clients c = of(at);
        call("list_versions", "listing " + name, () -> {
            for (Result<Item> r : c.s3().listObjects(ListObjectsArgs.builder().bucket(name).recursive(true).includeVersions(true).build())) {
                Item i = r.get();
                each.accept(new UsageLedger.Listed(i.objectName(), i.versionId(), i.size(), i.isDeleteMarker(), i.isLatest(),
                        i.lastModified() == null ? null : i.lastModified().toInstant()));
            }
            return null;
        });
    }

    @Override
    public boolean versionExists(InstanceAccess at, String bucket, String key, String versionId) {
        Clients c = of(at);
        String wanted = versionId.isEmpty() ? "null" : versionId;
        return call("version_exists", "looking for a version of " + key + " in " + bucket, () -> {
            for (Result<Item> r : c.s3().listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(key).recursive(true)
                    .includeVersions(true).build())) {
                Item i = r.get();
                if (!i.objectName().equals(key)) {
                    if (i.objectName().compareTo(key) > 0) {
                        return false; // listed in key order: past this key's versions
                    }
                    continue;
                }
                if (wanted.equals(i.versionId() == null ? "null" : i.versionId())) {
                    return true;
                }
            }
            return false;
        });
    }

    @Override
    public List<IncompleteUpload> incompleteUploads(InstanceAccess at, List<String> buckets) {
        Clients c = of(at);
        return call("list_uploads", "listing incomplete uploads", () -> {
            var incomplete = new ArrayList<IncompleteUpload>();
            for (String b : buckets) {
                for (Uploads.Listed u : c.uploads().all(b)) {
                    Long bytes = partBytes(c.uploads(), b, u);
                    if (bytes != null) {
                        incomplete.add(new IncompleteUpload(b, u.key(), u.uploadId(), u.initiated(), bytes));
                    }
                }
            }
            return incomplete;
        });
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
        boolean versioning = call("get_versioning", "reading versioning of " + name, () -> c.s3()
                .getBucketVersioning(GetBucketVersioningArgs.builder().bucket(name).build()).status() == VersioningConfiguration.Status.ENABLED);
        return new BucketInfo(name, created, 0, 0, null, versioning); // no listing: usage is the ledger's
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
        sealed("create_key", "creating access key", () -> of(at).admin().addServiceAccount(key.accessKey(), key.secretKey(), null, key.policy(),
                null, key.description(), key.expiresAt() == null ? null : key.expiresAt().atZone(ZoneOffset.UTC)));
    }

    @Override
    public void setKeyPolicy(InstanceAccess at, String accessKey, Map<String, Object> policy, boolean enabled) {
        sealed("set_key_policy", "changing the policy of access key " + accessKey, () -> {
            of(at).admin().updateServiceAccount(accessKey, null, policy, enabled, null, null, null);
            return null;
        });
    }

    @Override
    public void setKeyEnabled(InstanceAccess at, String accessKey, boolean enabled) {
        sealed("set_key_enabled", (enabled ? "enabling" : "disabling") + " access key " + accessKey, () -> {
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
    public Usage usage(InstanceAccess at) {
        Clients c = of(at);
        return call("usage_scan", "measuring usage", () -> {
            List<Bucket> buckets = c.s3().listBuckets();
            long objects = 0;
            for (Bucket b : buckets) {
                for (Result<Item> r : c.s3().listObjects(ListObjectsArgs.builder().bucket(b.name()).recursive(true).includeVersions(true).build())) {
                    Item item = r.get();
                    if (!item.isDeleteMarker()) {
                        objects += item.size();
                    }
                }
            }
            // Uploads after objects: one completed in between is missed by this scan (the next counts it), never
            // counted twice, so a scan cannot block writes on bytes that are not there.
            var incomplete = new ArrayList<IncompleteUpload>();
            for (Bucket b : buckets) {
                for (Uploads.Listed u : c.uploads().all(b.name())) {
                    Long bytes = partBytes(c.uploads(), b.name(), u);
                    if (bytes != null) {
                        incomplete.add(new IncompleteUpload(b.name(), u.key(), u.uploadId(), u.initiated(), bytes));
                    }
                }
            }
            return new Usage(objects, incomplete);
        });
    }

    /** The sum of an upload's part sizes; null when the upload was completed or aborted since it was listed. */
    private static Long partBytes(Uploads client, String bucket, Uploads.Listed upload) throws Exception {
        long bytes = 0;
        int marker = 0;
        while (true) {
            ListPartsResponse page;
            try {
                page = await(client.listPartsAsync(bucket, null, upload.key(), 1000, marker, upload.uploadId(), null, null));
            } catch (ErrorResponseException e) {
                if ("NoSuchUpload".equals(e.errorResponse().code())) {
                    return null;
                }
                throw e;
            }
            for (Part p : page.result().partList()) {
                bytes += p.partSize();
            }
            int next = page.result().nextPartNumberMarker();
            if (!page.result().isTruncated() || next <= marker) {
                return bytes;
            }
            marker = next;
        }
    }

    @Override
    public void abortUpload(InstanceAccess at, IncompleteUpload upload) {
        Uploads client = of(at).uploads();
        call("abort_upload", "aborting upload " + upload.key() + " in " + upload.bucket(), () -> {
            try {
                await(client.abortMultipartUploadAsync(upload.bucket(), null, upload.key(), upload.uploadId(), null, null));
            } catch (ErrorResponseException e) {
                if (!"NoSuchUpload".equals(e.errorResponse().code())) {
                    throw e;
                }
            }
            return null;
        });
    }

    /** The result of an asynchronous minio-java call, its failure unwrapped so {@link #call} can classify it. */
    private static <T> T await(CompletableFuture<T> future) throws Exception {
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof Exception x) {
                throw x;
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw e;
        }
    }

    /**
     * ListMultipartUploads through minio-java's own request path (signing, region, error responses), read here:
     * minio-java 8.6.0 cannot parse MinIO's answer, whose empty {@code <StorageClass>} its {@code Upload} requires
     * (XmlParserException; minio/minio-java#1653). ListParts and AbortMultipartUpload are used as the library has them.
     *
     * <p>MinIO answers a listing without prefix from memory: uploads begun before the instance last started are not
     * in it (a prefix must be the exact key to reach the disk). Those are left to MinIO's own sweep of stale uploads,
     * which the container is configured with ({@link InstanceSpec}).
     */
    static final class Uploads extends MinioAsyncClient {
        record Listed(String key, String uploadId, Instant initiated) {
        }

        Uploads(MinioAsyncClient client) {
            super(client);
        }

        /** Every incomplete upload of the bucket the instance can list, page after page. */
        List<Listed> all(String bucket) throws Exception {
            var all = new ArrayList<Listed>();
            String keyMarker = null;
            String uploadIdMarker = null;
            while (true) {
                Multimap<String, String> query = HashMultimap.create();
                query.put("uploads", "");
                // url: a key may hold characters XML 1.0 cannot carry; a listing that fails to parse would leave the
                // tenant's uploads uncounted.
                query.put("encoding-type", "url");
                query.put("max-uploads", "1000");
                if (keyMarker != null) {
                    query.put("key-marker", keyMarker);
                }
                if (uploadIdMarker != null) {
                    query.put("upload-id-marker", uploadIdMarker);
                }
                Element root;
                try (Response response = await(executeGetAsync(ListObjectsArgs.builder().bucket(bucket).build(), null, query));
                     InputStream body = response.body().byteStream()) {
                    root = parser().parse(body).getDocumentElement();
                }
                for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
                    if (n instanceof Element e && "Upload".equals(e.getTagName())) {
                        all.add(new Listed(decode(text(e, "Key")), text(e, "UploadId"), Instant.parse(text(e, "Initiated"))));
                    }
                }
                String nextKey = text(root, "NextKeyMarker");
                String nextId = text(root, "NextUploadIdMarker");
                if (!"true".equals(text(root, "IsTruncated")) || nextKey == null || nextKey.isEmpty()
                        || (decode(nextKey).equals(keyMarker) && nextId != null && nextId.equals(uploadIdMarker))) {
                    return all;
                }
                keyMarker = decode(nextKey);
                uploadIdMarker = nextId;
            }
        }

        /** A fresh parser per page (factories are not thread-safe), refusing DTDs and external entities. */
        private static javax.xml.parsers.DocumentBuilder parser() throws javax.xml.parsers.ParserConfigurationException {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setExpandEntityReferences(false);
            return f.newDocumentBuilder();
        }

        private static String text(Element parent, String child) {
            for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e && child.equals(e.getTagName())) {
                    return e.getTextContent();
                }
            }
            return null;
        }

        private static String decode(String urlEncoded) {
            return URLDecoder.decode(urlEncoded, StandardCharsets.UTF_8);
        }
    }
}
