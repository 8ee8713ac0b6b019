package dev.berth.web;

import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.RequestIds;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Refuses requests that change something and may have been sent by another site in the user's name. A browser adds
 * the session cookie to a cross-site form post; SameSite=Lax and the CORS filter (which refuses a foreign
 * {@code Origin}) leave the requests that carry neither {@code Origin} nor {@code Referer}. So a request that is not
 * GET/HEAD/OPTIONS and has no bearer token (a token is never sent by the browser on its own, so it is not forgeable)
 * must name this portal: its {@code Origin}, or without one its {@code Referer} (the pages send it to this origin:
 * Referrer-Policy same-origin). {@code Origin: null} (sandboxed frames, some redirects) is refused too. Origins listed
 * in {@code quarkus.http.cors.origins} count as this portal's own (a proxy that terminates TLS in front of it).
 *
 * <p>Sign-out: Quarkus OIDC ends the session on any request to its logout path, whatever the method, while it
 * authenticates the request. This filter runs before that: GET and HEAD {@code /logout} go to a page with the
 * sign-out button instead, other methods but POST are refused, and a POST must pass the same origin check.
 */
public class SameOriginFilter {
    /** Before the CORS filter (300) and authentication (200), where Quarkus OIDC performs the logout. */
    static final int BEFORE_AUTHENTICATION = 350;
    /** After authentication (200): the refusal names the user. Before authorization (100): anonymous requests still get the sign-in redirect or 401. */
    static final int AFTER_AUTHENTICATION = 175;
    static final String SIGN_OUT_PAGE = "/sign-out";
    private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);
    private static final int SHOWN_MAX = 120;

    @Inject
    AuditLog audit;

    void register(@Observes Filters filters) {
        Config config = ConfigProvider.getConfig();
        String logoutPath = config.getOptionalValue("quarkus.oidc.logout.path", String.class).orElse(null);
        Set<String> trusted = Set.copyOf(config.getOptionalValues("quarkus.http.cors.origins", String.class).orElse(List.of()));
        if (logoutPath != null) {
            filters.register(ctx -> {
                if (ctx.request().path().equals(logoutPath)) { // the comparison Quarkus OIDC makes
                    signOut(ctx, trusted);
                } else {
                    ctx.next();
                }
            }, BEFORE_AUTHENTICATION);
        }
        filters.register(ctx -> check(ctx, trusted), AFTER_AUTHENTICATION);
    }

    private void signOut(RoutingContext ctx, Set<String> trusted) {
        HttpMethod method = ctx.request().method();
        if (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)) {
            // A link, an image or a prefetch must not sign anyone out: offer the button instead.
            ctx.response().setStatusCode(303).putHeader("Location", SIGN_OUT_PAGE).end();
        } else if (!method.equals(HttpMethod.POST)) {
            ctx.response().putHeader("Allow", "GET, HEAD, POST");
            ErrorResponses.send(ctx, 405, "Method Not Allowed", "Sign out with the Sign out button.");
        } else if (bearer(ctx.request())) {
            ctx.next(); // no session to end; the path answers like any unknown one
        } else {
            String why = refusal(ctx.request(), trusted);
            if (why == null) {
                ctx.next(); // on to Quarkus OIDC: RP-initiated logout at the identity provider
            } else {
                // The session is not read yet (that is what signs out), so the refusal has no user.
                refuse(ctx, null, "sign-out refused: " + why);
            }
        }
    }

    private void check(RoutingContext ctx, Set<String> trusted) {
        HttpServerRequest request = ctx.request();
        if (SAFE.contains(request.method()) || bearer(request)) {
            ctx.next();
            return;
        }
        SecurityIdentity identity = ctx.user() instanceof QuarkusHttpUser user ? user.getSecurityIdentity() : null;
        boolean signedIn = identity != null && !identity.isAnonymous();
        if (!signedIn && !hasSessionCookie(ctx)) {
            ctx.next(); // nobody's session to abuse: authorization asks for sign-in (pages) or answers 401 (API)
            return;
        }
        // (a session cookie without an identity here would mean authentication became lazy: check all the same)
        String why = refusal(request, trusted);
        if (why == null) {
            ctx.next();
        } else {
            refuse(ctx, signedIn ? identity.getPrincipal().getName() : null, why);
        }
    }

    private void refuse(RoutingContext ctx, String actor, String why) {
        HttpServerRequest request = ctx.request();
        audit.recordSoon(actor, null, "access", request.method() + " " + request.path(), Outcome.DENIED, why,
                RequestIds.of(ctx));
        ErrorResponses.send(ctx, 403, "Forbidden",
                "This request did not come from a Berth page (" + why + "). Reload the page and try again.");
    }

    /** Quarkus OIDC's session cookie: q_session, q_session_&lt;tenant&gt;, or its chunks. */
    private static boolean hasSessionCookie(RoutingContext ctx) {
        return ctx.request().cookies().stream().anyMatch(c -> c.getName().startsWith("q_session"));
    }

    static boolean bearer(HttpServerRequest request) {
        String authorization = request.getHeader("Authorization");
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7);
    }

    /** Why the request may come from another site, or null when it names this portal. */
    static String refusal(HttpServerRequest request, Set<String> trusted) {
        String origin = request.getHeader("Origin");
        if (origin != null) {
            return sameOrigin(request, origin) || trusted.contains(origin) ? null : "cross-site Origin " + shown(origin);
        }
        String referer = request.getHeader("Referer");
        if (referer == null || referer.isBlank()) {
            return "neither Origin nor Referer";
        }
        String from = originOf(referer);
        if (from != null && (sameOrigin(request, from) || trusted.contains(from))) {
            return null;
        }
        return "cross-site Referer " + shown(from == null ? referer : from);
    }

    /** {@code scheme://host[:port]} of an absolute http(s) URL, or null. */
    static String originOf(String url) {
        try {
            URI u = new URI(url);
            if (u.getScheme() == null || u.getHost() == null || u.getRawUserInfo() != null) {
                return null;
            }
            return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort());
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    /** Whether {@code origin} (scheme, host, port; no path) is the address this request was sent to. */
    static boolean sameOrigin(HttpServerRequest request, String origin) {
        HostAndPort authority = request.authority();
        if (authority == null || "null".equals(origin)) {
            return false;
        }
        URI o;
        try {
            o = new URI(origin);
        } catch (java.net.URISyntaxException e) {
            return false;
        }
        String scheme = request.scheme();
        if (o.getScheme() == null || o.getHost() == null || o.getRawUserInfo() != null
                || (o.getRawPath() != null && !o.getRawPath().isEmpty()) || o.getRawQuery() != null
                || !o.getScheme().equalsIgnoreCase(scheme)) {
            return false;
        }
        return host(o.getHost()).equals(host(authority.host()))
                && port(o.getPort(), scheme) == port(authority.port(), scheme);
    }

    private static String host(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    private static int port(int port, String scheme) {
        if (port >= 0) {
            return port;
        }
        return "https".equalsIgnoreCase(scheme) ? 443 : 80;
    }

    /** A client's header, as much of it as a person needs to read (log lines escape what is left; see LogEscape). */
    private static String shown(String value) {
        return value.length() <= SHOWN_MAX ? value : value.substring(0, SHOWN_MAX) + "…";
    }
}
