package dev.berth.web;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.MultiMap;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.util.Optional;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The browser-side defences on every response (pages, API, error pages, static files, redirects): a
 * Content-Security-Policy that allows scripts and styles from this origin only (no inline code, no eval), no framing,
 * no MIME sniffing, and a Referer only to this origin (the cross-site check in {@link SameOriginFilter} falls back on
 * it). Set when the headers are written, so whatever answered the request (a resource, an error mapper, the static
 * handler, the security layer) gets them.
 */
public class SecurityHeaders {
    public static final String CSP = "Content-Security-Policy";
    /** Swagger UI's generated page runs inline scripts: it gets its own, relaxed policy. */
    static final String SWAGGER_UI = "/q/swagger-ui";

    void register(@Observes Filters filters) {
        // Forms end in a redirect to the identity provider (sign-out; sign-in again after a session expired), and
        // browsers hold form-action to every hop of the redirect chain: the provider's origin must be allowed.
        String idp = origin(ConfigProvider.getConfig().getOptionalValue("quarkus.oidc.auth-server-url", String.class))
                .map(o -> " " + o).orElse("");
        String pages = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
                + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'" + idp
                + "; frame-ancestors 'none'";
        String swagger = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                + "img-src 'self' data:; font-src 'self'; connect-src 'self'" + idp + "; object-src 'none'; "
                + "base-uri 'none'; form-action 'self'" + idp + "; frame-ancestors 'none'";
        filters.register(ctx -> {
            ctx.addHeadersEndHandler(done -> {
                MultiMap headers = ctx.response().headers();
                String path = ctx.request().path();
                headers.set(CSP, path != null && path.startsWith(SWAGGER_UI) ? swagger : pages);
                headers.set("X-Content-Type-Options", "nosniff");
                headers.set("X-Frame-Options", "DENY");
                headers.set("Referrer-Policy", "same-origin");
            });
            ctx.next();
        }, 2000);
    }

    /** {@code scheme://host[:port]} of a URL, the form CSP source expressions take. */
    static Optional<String> origin(Optional<String> url) {
        try {
            return url.map(URI::create).filter(u -> u.getScheme() != null && u.getHost() != null)
                    .map(u -> u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
