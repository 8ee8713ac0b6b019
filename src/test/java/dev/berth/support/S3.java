package dev.berth.support;

import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** An S3 client as a tenant's VM would use it: one key, the instance's endpoint. Errors come back as the S3 code. */
public final class S3 {
    private final MinioClient client;

    private S3(MinioClient client) {
        this.client = client;
    }

    /** Trusts the instances' CA only (Berth's, from the running test application), like a VM that installed it. */
    public static S3 as(String endpoint, String accessKey, String secretKey) {
        var builder = MinioClient.builder().endpoint(endpoint).credentials(accessKey, secretKey);
        if (endpoint.startsWith("https:")) {
            builder.httpClient(trusting(io.quarkus.arc.Arc.container().instance(dev.berth.storage.instance.TlsAuthority.class).get()));
        }
        return new S3(builder.build());
    }

    /** For a test outside the application (an integration test of the packaged portal): trusts the CA given as PEM. */
    public static S3 as(String endpoint, String accessKey, String secretKey, String caPem) {
        try {
            var ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            ks.load(null, null);
            ks.setCertificateEntry("berth-ca", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(caPem.getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
            var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            var tm = (javax.net.ssl.X509TrustManager) tmf.getTrustManagers()[0];
            var ssl = javax.net.ssl.SSLContext.getInstance("TLS");
            ssl.init(null, new javax.net.ssl.TrustManager[] {tm}, null);
            return new S3(MinioClient.builder().endpoint(endpoint).credentials(accessKey, secretKey)
                    .httpClient(new okhttp3.OkHttpClient.Builder().sslSocketFactory(ssl.getSocketFactory(), tm).build()).build());
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static okhttp3.OkHttpClient trusting(dev.berth.storage.instance.TlsAuthority tls) {
        return new okhttp3.OkHttpClient.Builder().sslSocketFactory(tls.sslContext().getSocketFactory(), tls.trustManager())
                .connectTimeout(java.time.Duration.ofSeconds(10)).readTimeout(java.time.Duration.ofSeconds(60))
                .writeTimeout(java.time.Duration.ofSeconds(60)).build();
    }

    /** The S3 error code of what went wrong, or "OK". */
    public interface Call {
        void run() throws Exception;
    }

    public static String outcome(Call call) {
        try {
            call.run();
            return "OK";
        } catch (ErrorResponseException e) {
            return e.errorResponse().code();
        } catch (Exception e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    /** Makes the bucket unless it exists already. */
    public S3 bucket(String bucket) throws Exception {
        if (!client.bucketExists(io.minio.BucketExistsArgs.builder().bucket(bucket).build())) {
            client.makeBucket(io.minio.MakeBucketArgs.builder().bucket(bucket).build());
        }
        return this;
    }

    public void put(String bucket, String key, byte[] data) throws Exception {
        client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                .stream(new ByteArrayInputStream(data), data.length, -1).build());
    }

    public void put(String bucket, String key, String text) throws Exception {
        put(bucket, key, text.getBytes(StandardCharsets.UTF_8));
    }

    public String get(String bucket, String key) throws Exception {
        try (var in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    public List<String> list(String bucket) throws Exception {
        var names = new ArrayList<String>();
        for (Result<Item> r : client.listObjects(ListObjectsArgs.builder().bucket(bucket).recursive(true).build())) {
            names.add(r.get().objectName());
        }
        return names;
    }

    public void delete(String bucket, String key) throws Exception {
        client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
    }
}
