package dev.berth.web;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * While the identity provider does not answer, a page request that would start the sign-in (no session, no bearer
 * token) gets a 503 page saying sign-in is unavailable, instead of a redirect to a provider the browser cannot reach
 * (or a code exchange that fails on the callback). Signed-in sessions and API tokens are not affected: their tokens
 * are checked with the provider's keys Berth already holds.
 *
 * <p>Whether the provider answers is learnt from its discovery document, asked only when such a request comes and the
 * last answer is older than {@link #FRESH}; concurrent requests share one check, and the event loop never waits on it.
 */
@Singleton
public class SignInAvailability {
    /** After the sign-out handling (350), before CORS (300) and authentication (200), which would redirect. */
    static final int PRIORITY = 340;
    static final Duration FRESH = Duration.ofSeconds(5);
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    static final String RETRY_AFTER = "10";
    private static final List<String> PUBLIC = List.of("/api/", "/q/", "/static/", "/webjars/", "/console/ws/");
    private static final List<String> PUBLIC_EXACT = List.of("/api", "/favicon.ico", "/signed-out");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
    private volatile URI discovery;
    private volatile Check last; // null until the first check
    private CompletableFuture<Boolean> inFlight;

    record Check(boolean up, long atNanos) {
    }

    void register(@Observes Filters filters) {
        String url = ConfigProvider.getConfig().getOptionalValue("quarkus.oidc.auth-server-url", String.class).orElse(null);
        if (url == null || url.isBlank()) {
            return;
        }
        discovery = URI.create(url.replaceAll("/+$", "") + "/.well-known/openid-configuration");
        filters.register(this::filter, PRIORITY);
    }

    static boolean startsSignIn(RoutingContext ctx) {
        String path = ctx.request().path();
        if (path == null || PUBLIC_EXACT.contains(path) || PUBLIC.stream().anyMatch(path::startsWith)) {
            return false;
        }
        String auth = ctx.request().getHeader("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        String cookies = ctx.request().getHeader("Cookie");
        return cookies == null || !cookies.contains("q_session");
    }

    private void filter(RoutingContext ctx) {
        if (!startsSignIn(ctx)) {
            ctx.next();
            return;
        }
        Check c = last;
        if (c != null && System.nanoTime() - c.atNanos() < FRESH.toNanos()) {
            decide(ctx, c.up());
            return;
        }
        Context context = Vertx.currentContext();
        check().whenComplete((up, e) -> {
            boolean answer = e == null && Boolean.TRUE.equals(up);
            if (context != null) {
                context.runOnContext(v -> decide(ctx, answer));
            } else {
                decide(ctx, answer);
            }
        });
    }

    private static void decide(RoutingContext ctx, boolean up) {
        if (up) {
            ctx.next();
            return;
        }
        ctx.response().putHeader("Retry-After", RETRY_AFTER);
        ErrorResponses.send(ctx, 503, "Sign-in is unavailable",
                "Sign-in is unavailable: the identity provider does not answer. Signed-in sessions and API tokens keep "
                        + "working; try signing in again in a minute.");
    }

    private synchronized CompletableFuture<Boolean> check() {
        if (inFlight != null) {
            return inFlight;
        }
        HttpRequest request = HttpRequest.newBuilder(discovery).timeout(TIMEOUT).GET().build();
        CompletableFuture<Boolean> f = http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .thenApply(r -> r.statusCode() == 200)
                .exceptionally(e -> false);
        CompletableFuture<Boolean> shared = f.whenComplete((up, e) -> {
            synchronized (this) {
                last = new Check(Boolean.TRUE.equals(up), System.nanoTime());
                inFlight = null;
            }
        });
        if (!shared.isDone()) {
            inFlight = shared; // cleared by the completion above
        }
        return shared;
    }
}
