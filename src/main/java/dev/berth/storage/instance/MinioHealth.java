package dev.berth.storage.instance;

import io.minio.admin.MinioAdminClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The minio-java adapter of {@link InstanceHealth}: MinIO's unauthenticated readiness endpoint, then
 * {@code MinioAdminClient.listCannedPolicies()} signed with the root credentials. That proves MinIO read them from
 * the files Berth wrote, and not some default, and that its IAM subsystem is loaded: {@code /minio/health/ready}
 * answers 200 before it is, and until then service-account calls (access keys) fail with "Server not initialized".
 */
@ApplicationScoped
public class MinioHealth implements InstanceHealth {
    private static final Duration PROBE = Duration.ofSeconds(2);
    private static final long PAUSE_MS = 100;

    private final HttpClient http;
    private final okhttp3.OkHttpClient adminHttp;

    /** Both clients trust exactly the instances' CA, and check that the certificate names the address called. */
    @jakarta.inject.Inject
    public MinioHealth(TlsAuthority tls) {
        http = HttpClient.newBuilder().connectTimeout(PROBE).sslContext(tls.sslContext()).build();
        adminHttp = new okhttp3.OkHttpClient.Builder().sslSocketFactory(tls.sslContext().getSocketFactory(), tls.trustManager())
                .connectTimeout(PROBE).readTimeout(PROBE).writeTimeout(PROBE).build();
    }

    @Override
    public void awaitReady(String endpoint, String rootUser, String rootPassword, Duration timeout)
            throws NotReadyException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        while (true) {
            try {
                check(endpoint, rootUser, rootPassword);
                return;
            } catch (NotReadyException e) {
                last = e.getMessage();
            }
            if (System.nanoTime() > deadline) {
                throw new NotReadyException("MinIO at " + endpoint + " was not ready after "
                        + timeout.toSeconds() + "s: " + last);
            }
            TimeUnit.MILLISECONDS.sleep(PAUSE_MS);
        }
    }

    @Override
    public boolean isReady(String endpoint, String rootUser, String rootPassword) {
        try {
            check(endpoint, rootUser, rootPassword);
            return true;
        } catch (NotReadyException e) {
            return false;
        }
    }

    private void check(String endpoint, String rootUser, String rootPassword) throws NotReadyException {
        try {
            HttpResponse<Void> ready = http.send(HttpRequest.newBuilder(URI.create(endpoint + "/minio/health/ready"))
                    .timeout(PROBE).GET().build(), HttpResponse.BodyHandlers.discarding());
            if (ready.statusCode() != 200) {
                throw new NotReadyException("readiness endpoint answered HTTP " + ready.statusCode());
            }
        } catch (IOException e) {
            throw new NotReadyException("readiness endpoint: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotReadyException("interrupted");
        }
        try {
            MinioAdminClient admin = MinioAdminClient.builder().endpoint(endpoint).credentials(rootUser, rootPassword)
                    .httpClient(adminHttp).build();
            admin.listCannedPolicies(); // answered only once IAM is loaded
        } catch (Exception e) {
            // The message of a signature error names the access key at most, never the secret.
            throw new NotReadyException("IAM call with the root credentials failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
    }
}
