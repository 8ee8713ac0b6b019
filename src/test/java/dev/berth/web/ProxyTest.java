package dev.berth.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DemoUser;
import dev.berth.support.PackagedApp;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Behind a real TLS-terminating reverse proxy (Debian's nginx on loopback, a throwaway certificate, connecting to
 * Berth from 127.0.0.2, the trusted proxy of the test profile): sign-in redirects carry an https:// redirect URI and
 * every cookie is Secure. The same headers sent by an untrusted client (the test itself, from 127.0.0.1) change
 * nothing.
 */
@QuarkusTest
class ProxyTest {
    static final Path DIR = Path.of("target", "proxy-test").toAbsolutePath();
    static Process nginx;
    static int port;
    static HttpClient https;

    @TestHTTPResource("/")
    URL portal;

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + out);
        return out;
    }

    @BeforeAll
    static void proxy() throws Exception {
        Files.createDirectories(DIR.resolve("temp"));
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", DIR.resolve("key.pem").toString(),
                "-out", DIR.resolve("cert.pem").toString());
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(DIR.resolve("cert.pem"))) {
            trust.setCertificateEntry("proxy", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        https = HttpClient.newBuilder().sslContext(tls).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    void startNginx() throws Exception {
        if (nginx != null) {
            return;
        }
        port = PackagedApp.freePort();
        String conf = """
                daemon off;
                user root;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log;
                events { worker_connections 64; }
                http {
                  access_log off;
                  client_body_temp_path %1$s/temp/body;
                  proxy_temp_path %1$s/temp/proxy;
                  fastcgi_temp_path %1$s/temp/fastcgi;
                  uwsgi_temp_path %1$s/temp/uwsgi;
                  scgi_temp_path %1$s/temp/scgi;
                  server {
                    listen 127.0.0.1:%2$d ssl;
                    ssl_certificate %1$s/cert.pem;
                    ssl_certificate_key %1$s/key.pem;
                    location / {
                      proxy_pass http://127.0.0.1:%3$d;
                      proxy_bind 127.0.0.2;
                      proxy_set_header Host $host:$server_port;
                      proxy_set_header X-Forwarded-Proto https;
                      proxy_set_header X-Forwarded-Host $host:$server_port;
                      proxy_set_header X-Forwarded-For $remote_addr;
                    }
                  }
                }
                """.formatted(DIR, port, portal.getPort());
        Files.writeString(DIR.resolve("nginx.conf"), conf);
        nginx = new ProcessBuilder("nginx", "-c", DIR.resolve("nginx.conf").toString(), "-p", DIR.toString())
                .redirectErrorStream(true).redirectOutput(DIR.resolve("nginx.out").toFile()).start();
        PackagedApp.await("nginx on 127.0.0.1:" + port, Duration.ofSeconds(30), () -> {
            assertTrue(nginx.isAlive(), "nginx exited: " + read(DIR.resolve("nginx.out")) + read(DIR.resolve("error.log")));
            try {
                send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/q/health/live")).build());
                return true;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.destroy();
            nginx.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (Exception e) {
            return e.toString();
        }
    }

    static HttpResponse<String> send(HttpRequest r) throws Exception {
        return https.send(r, HttpResponse.BodyHandlers.ofString());
    }

    static String redirectUri(HttpResponse<?> r) {
        String location = r.headers().firstValue("Location").orElseThrow();
        String query = URI.create(location).getRawQuery();
        for (String kv : query.split("&")) {
            if (kv.startsWith("redirect_uri=")) {
                return URLDecoder.decode(kv.substring("redirect_uri=".length()), StandardCharsets.UTF_8);
            }
        }
        throw new AssertionError("no redirect_uri in " + location);
    }

    @Test
    void throughTheProxySignInRedirectsToHttpsAndCookiesAreSecure() throws Exception {
        startNginx();
        String origin = "https://127.0.0.1:" + port;
        HttpResponse<String> login = send(HttpRequest.newBuilder(URI.create(origin + "/machines")).build());
        assertEquals(302, login.statusCode());
        assertTrue(redirectUri(login).startsWith(origin + "/"), redirectUri(login));
        List<String> cookies = login.headers().allValues("Set-Cookie");
        assertFalse(cookies.isEmpty(), "the sign-in state cookie");
        cookies.forEach(c -> assertTrue(c.toLowerCase().contains("; secure"), "not Secure: " + c));

        // A cookie of Berth's own: the tenant switch, as dave (two tenants), from the proxy's origin.
        HttpResponse<String> switched = send(HttpRequest.newBuilder(URI.create(origin + "/tenant"))
                .header("Authorization", "Bearer " + DemoUser.DAVE.token()).header("Origin", origin)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("slug=globex")).build());
        assertEquals(303, switched.statusCode(), switched.body());
        List<String> ours = switched.headers().allValues("Set-Cookie");
        assertFalse(ours.isEmpty());
        ours.forEach(c -> assertTrue(c.toLowerCase().contains("; secure"), "not Secure: " + c));
    }

    @Test
    void forwardedHeadersFromAnUntrustedClientAreIgnored() throws Exception {
        HttpResponse<String> direct = PackagedApp.send(HttpRequest.newBuilder(URI.create(portal + "machines"))
                .header("X-Forwarded-Proto", "https").header("X-Forwarded-Host", "evil.example:443")
                .header("Forwarded", "proto=https;host=evil.example").build());
        assertEquals(302, direct.statusCode());
        String redirect = redirectUri(direct);
        assertTrue(redirect.startsWith("http://") && !redirect.contains("evil.example"), redirect);
        direct.headers().allValues("Set-Cookie").forEach(c -> assertFalse(c.toLowerCase().contains("; secure"), c));
    }
}
