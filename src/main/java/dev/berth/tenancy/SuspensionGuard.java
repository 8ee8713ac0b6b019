package dev.berth.tenancy;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import java.util.Locale;
import java.util.Set;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * A suspended tenant is read-only everywhere: every state-changing request a member makes for it, page or API, is
 * refused here, before any resource runs, so a route added later is covered without remembering to. Administrators'
 * routes stay open (they manage the suspended tenant); signing out and switching tenant change nothing of a tenant.
 */
public class SuspensionGuard {
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");
    /** State-changing routes that change nothing of a tenant. */
    private static final Set<String> NOT_TENANT_CHANGES = Set.of("/tenant", "/logout");

    @Inject
    CurrentUser user;

    @ServerRequestFilter
    public void refuseChangesOfSuspendedTenants(ContainerRequestContext request) {
        if (!isTenantChange(request.getMethod(), request.getUriInfo().getPath())) {
            return;
        }
        user.currentTenant().filter(TenantView::suspended).ifPresent(t -> {
            throw new TenantSuspendedException(t.slug());
        });
    }

    /** Whether a request with this method and path changes something of the caller's current tenant. */
    static boolean isTenantChange(String method, String path) {
        if (SAFE_METHODS.contains(method.toUpperCase(Locale.ROOT))) {
            return false;
        }
        String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return !(p.equals("/admin") || p.startsWith("/admin/") || p.startsWith("/api/v1/admin/") || NOT_TENANT_CHANGES.contains(p));
    }
}
